#!/usr/bin/env python3
"""Writes shared/tests/fixtures/pii_corpus.jsonl: realistic Argentine support messages
with the personal data they hold and the support data they must keep.

Each line is {"text", "pii": [[leak, ...], ...], "keep": [...]}: every personal item is
a list of tokens (its digit groups of four or more, an address's local part) none of
which may survive masking, and every `keep` string must survive verbatim. Valid check
digits are computed here, so CBUs, CUITs and cards are real-looking. Deterministic: the
same seed writes the same file (`python3 scripts/gen-pii-corpus.py`).
"""
import json
import os
import random
import re

SEED = 20261201
rnd = random.Random(SEED)
OUT = os.path.join(os.path.dirname(__file__), "..", "shared", "tests", "fixtures", "pii_corpus.jsonl")

NAMES = ["ana", "juan", "maria", "lucas", "sofia", "martin", "valeria", "diego", "carla", "pablo", "lucia", "nicolas"]
SURNAMES = ["gomez", "perez", "rodriguez", "fernandez", "lopez", "diaz", "martinez", "romero", "sosa", "alvarez"]
DOMAINS = ["gmail.com", "hotmail.com", "yahoo.com.ar", "outlook.com", "empresa.com.ar", "fibertel.com.ar"]


def digits(n):
    return "".join(str(rnd.randint(0, 9)) for _ in range(n))


def cbu():
    def check(block, weights):
        return (10 - sum(int(a) * b for a, b in zip(block, weights)) % 10) % 10
    first = rnd.choice(["011", "007", "017", "285", "072", "150", "000"]) + digits(4)
    first += str(check(first, [7, 1, 3, 9, 7, 1, 3]))
    second = digits(13)
    second += str(check(second, [3, 9, 7, 1, 3, 9, 7, 1, 3, 9, 7, 1, 3]))
    return first + second


def cuit(prefix=None):
    while True:
        body = (prefix or rnd.choice(["20", "23", "27", "30", "33"])) + str(rnd.randint(10_000_000, 45_999_999))
        total = sum(int(a) * b for a, b in zip(body, [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]))
        check = 11 - total % 11
        if check == 10:
            continue
        return body + str(0 if check == 11 else check)


def luhn_complete(partial):
    total = 0
    for i, ch in enumerate(reversed(partial)):
        v = int(ch)
        if i % 2 == 0:
            v *= 2
            v = v - 9 if v > 9 else v
        total += v
    return partial + str((10 - total % 10) % 10)


def card():
    kind = rnd.choice(["visa", "master", "amex"])
    if kind == "visa":
        return kind, luhn_complete("4" + digits(14))
    if kind == "master":
        return kind, luhn_complete(str(rnd.randint(51, 55)) + digits(13))
    return kind, luhn_complete(rnd.choice(["34", "37"]) + digits(12))


def groups(s, sizes, sep):
    out, at = [], 0
    for size in sizes:
        out.append(s[at:at + size])
        at += size
    return sep.join(out)


def leaks(item):
    """Digit groups of 4+ (after folding fullwidth digits), or the address's local part."""
    if "@" in item or " arroba " in item:
        local = re.split(r"@| arroba ", item)[0]
        return [re.sub(r"[\u200b\u00ad]", "", local)]
    folded = "".join(chr(ord(c) - 0xFF10 + 0x30) if "\uff10" <= c <= "\uff19" else c for c in item)
    runs = [r for r in re.findall(r"\d+", folded) if len(r) >= 4]
    return runs or [re.sub(r"\D", "", folded)]


def email():
    local = rnd.choice(NAMES) + rnd.choice([".", "_", ""]) + rnd.choice(SURNAMES) + str(rnd.randint(1, 99))
    return local, rnd.choice(DOMAINS)


def mobile():
    area, num = rnd.choice([("11", 8), ("351", 7), ("341", 7), ("261", 7), ("221", 7)])
    n = digits(num - 4)
    last = digits(4)
    n = str(rnd.randint(2, 9)) + n[1:]
    local = n + last
    fmts = [
        f"+54 9 {area} {local[:-4]}-{last}",
        f"{area} {local[:-4]}-{last}",
        f"({'0' + area}) 15-{local[:-4]}-{last}",
        f"0{area} 15 {local[:-4]} {last}",
        f"{area}{local}",
        f"+549{area}{local}",
        f"{area}-{local}",
    ]
    return rnd.choice(fmts)


def fullwidth(s):
    return "".join(chr(ord(c) - 0x30 + 0xFF10) if c.isdigit() else c for c in s)


KEEP = [
    lambda: (f"el {rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/2024", [None]),
    lambda: (f"pagué $ {rnd.randint(1, 999)}.{rnd.randint(100, 999)}", [None]),
    lambda: (f"pedido {rnd.randint(10_000_000, 99_999_999)}", [None]),
    lambda: (f"el error 0x{rnd.randint(0x80000000, 0x8FFFFFFF):08X}", [None]),
    lambda: (f"la actualización KB{rnd.randint(5_000_000, 5_099_999)}", [None]),
    lambda: (f"Windows 11 versión 23H2 build 22631.{rnd.randint(1000, 4999)}", [None]),
    lambda: (f"la IP 192.168.{rnd.randint(0, 9)}.{rnd.randint(2, 254)}", [None]),
    lambda: (f"el puerto {rnd.choice([8080, 3389, 443, 5900, 25565])}", [None]),
    lambda: (f"un Core i7-{rnd.randint(1000, 1300)}0G7", [None]),
    lambda: (f"llamé al 0800-{rnd.randint(100, 999)}-{rnd.randint(1000, 9999)}", [None]),
    lambda: (f"ticket STI-2026{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}-AB{rnd.randint(10, 99)}CD", [None]),
    lambda: (f"a las {rnd.randint(8, 20)}:{rnd.choice(['00', '15', '30', '45'])}", [None]),
    lambda: (f"tengo {rnd.randint(2, 64)} GB de RAM", [None]),
    lambda: (f"factura 0001-{rnd.randint(10_000_000, 99_999_999)}", [None]),
]

PROBLEMS = [
    "la impresora no imprime", "no tengo internet", "la compu está muy lenta", "no me anda el wifi",
    "se me colgó windows", "no puedo entrar al mail", "el celular no carga", "la pantalla quedó negra",
]


def keep_snippet():
    text, _ = rnd.choice(KEEP)()
    # What must survive is the number-bearing part after the first word.
    return text, text.split(" ", 1)[1] if " " in text else text


def pii_snippet():
    kind = rnd.choice(["email", "email", "phone", "phone", "phone", "dni", "cuit", "cuit", "cbu", "cbu", "card",
                       "phone_unicode", "fullwidth", "email_hidden", "cuit_bare"])
    if kind == "email":
        local, domain = email()
        item = f"{local}@{domain}"
        return rnd.choice([f"mi mail es {item}", f"escribime a {item}", f"correo: {item.upper()}"]), item, leaks(item)
    if kind == "email_hidden":
        local, domain = email()
        hidden = local[:2] + rnd.choice(["\u200b", "\u00ad"]) + local[2:]
        item = f"{hidden}@{domain}"
        return f"mi mail {item}", item, [local]
    if kind == "phone":
        item = mobile()
        return rnd.choice([f"llamame al {item}", f"mi cel {item}", f"whatsapp {item}", f"te dejo el {item}"]), item, leaks(item)
    if kind == "phone_unicode":
        item = mobile().replace("-", rnd.choice(["\u2011", "\u2010", "\u2212", "\u2013"]))
        return f"mi número es {item}", item, leaks(item)
    if kind == "fullwidth":
        area, rest = "11", digits(4) + digits(4)
        item = fullwidth(f"{area} {rest[:4]} {rest[4:]}")
        return f"mi celular {item}", item, leaks(item)
    if kind == "dni":
        n = str(rnd.randint(5_000_000, 45_999_999))
        item = rnd.choice([f"{int(n):,}".replace(",", "."), n])
        return rnd.choice([f"mi DNI es {item}", f"documento {item}", f"DNI: {item}"]), item, leaks(item)
    if kind == "cuit":
        c = cuit()
        item = rnd.choice([groups(c, [2, 8, 1], "-"), groups(c, [2, 8, 1], "."), c])
        lead = rnd.choice(["facturá a", "la factura va a nombre de", "CUIT", "mi cuil es", "a nombre de"])
        return f"{lead} {item}", item, [re.sub(r"\D", "", item)[2:10]]
    if kind == "cuit_bare":
        c = cuit()
        return f"facturá a {c} por favor", c, [c[2:10]]
    if kind == "cbu":
        c = cbu()
        item = rnd.choice([c, groups(c, [3, 5, 14], " "), groups(c, [8, 14], " "), groups(c, [4, 4, 4, 4, 4, 2], " ")])
        lead = rnd.choice(["mi CBU es", "transferime al", "CVU", "el cbu", "te paso la cuenta"])
        return f"{lead} {item}", item, [r for r in re.findall(r"\d+", item) if len(r) >= 4] or [c]
    network, number = card()
    sizes = [4, 6, 5] if network == "amex" else [4, 4, 4, 4]
    item = rnd.choice([number, groups(number, sizes, " "), groups(number, sizes, "-")])
    return f"pagué con la {network} {item} y rebota", item, leaks(item)


def line():
    parts, pii, keep = [], [], []
    if rnd.random() < 0.7:
        parts.append(rnd.choice(["hola", "buenas", "buen día", "holaa", "hola!", "buenas tardes"]))
    parts.append(rnd.choice(PROBLEMS))
    for _ in range(rnd.choice([1, 1, 2])):
        if rnd.random() < 0.75:
            text, _item, tokens = pii_snippet()
            parts.append(text)
            pii.append(tokens)
        if rnd.random() < 0.6:
            text, survivor = keep_snippet()
            parts.append(text)
            keep.append(survivor)
    rnd.shuffle(parts[1:])
    return {"text": ", ".join(parts), "pii": pii, "keep": keep}


def main():
    lines = []
    while len(lines) < 400:
        entry = line()
        if entry["pii"] or entry["keep"]:
            lines.append(entry)
    with open(OUT, "w", encoding="utf-8") as f:
        for entry in lines:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")
    print(f"{len(lines)} lines, {sum(len(e['pii']) for e in lines)} personal items, "
          f"{sum(len(e['keep']) for e in lines)} support items -> {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
