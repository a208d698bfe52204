#!/usr/bin/env python3
"""Writes shared/tests/fixtures/privacy_corpus.jsonl: messages held apart from the masker's
unit table (issue 22) — passwords in Spanish and English, remote-access ids and codes, IBANs
with valid check digits, public and private IP addresses, unusual separators, numbers split
over two messages — plus support text that must stay. Deterministic (seeded).

Each line: {"text", "previous" (optional: the visitor's line before), "pii": [[tokens]], "keep": [..]}.
"""

import json
import os
import random

rng = random.Random(20261205)
OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "shared", "tests", "fixtures",
                   "privacy_corpus.jsonl")


def iban(country, length):
    body = "".join(rng.choice("0123456789") for _ in range(length - 4))
    rearranged = body + country + "00"
    num = int("".join(str(int(c, 36)) for c in rearranged))
    check = 98 - num % 97
    return f"{country}{check:02d}{body}"


def grouped(s, sep=" "):
    return sep.join(s[i:i + 4] for i in range(0, len(s), 4))


def password():
    words = ["Gato", "river", "Boca", "sol", "Luna", "tigre", "Mate", "blue", "casa", "Pampa"]
    symbols = ["!", "#", "$", "*", ".", "_", "@", "&"]
    return f"{rng.choice(words)}{rng.choice(symbols)}{rng.randint(10, 9999)}{rng.choice(words).lower()}"


lines = []


def add(text, pii=(), keep=(), previous=None):
    line = {"text": text, "pii": [list(p) for p in pii], "keep": list(keep)}
    if previous is not None:
        line["previous"] = previous
    lines.append(line)


PASSWORD_ES = [
    "mi contraseña es {p}", "la clave del wifi es {p}", "contraseña: {p} y no entra", "la clave de mi cuenta es {p}",
    "te paso la contraseña {p} para que pruebes", "la contra... digo, la contraseña es {p}", "clave = {p}",
    "usuario ana y contraseña {p}", "la clave nueva es {p} pero no la toma", "puse la clave {p} y sigue igual",
    "mi contraseña de gmail es {p}", "la contraseña del router es {p}", "Contraseña: «{p}»",
]
PASSWORD_EN = [
    "my password is {p}", "password: {p}", "the wifi password is {p}", "password={p}", "my new password is {p} and it fails",
    "pass: {p}", "I typed the password {p} twice",
]
for template in PASSWORD_ES + PASSWORD_EN:
    for _ in range(3):
        p = password()
        add(template.format(p=p), pii=[[p]], keep=[])

for template, keep in [
    ("el pin de la tarjeta es {n}", ["tarjeta"]), ("pin {n}", []), ("mi PIN es {n}", []),
    ("código de seguridad {n}", []), ("el código de verificación es {n}", []), ("security code {n}", []),
    ("el token es {n}", []), ("el código de acceso es {n}", []),
]:
    for _ in range(3):
        n = str(rng.randint(100, 999999))
        add(template.format(n=n), pii=[[n]], keep=keep)


def remote_id():
    digits = str(rng.randint(100_000_000, 1_999_999_999))
    style = rng.choice(["plain", "spaced", "threes"])
    if style == "spaced" and len(digits) == 10:
        return f"{digits[0]} {digits[1:4]} {digits[4:7]} {digits[7:]}", digits
    if style == "threes" and len(digits) == 9:
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}", digits
    return digits, digits


for template in [
    "te paso el teamviewer: ID {id} clave {pw}", "mi anydesk es {id} y la contraseña {pw}",
    "TeamViewer {id} password {pw}", "el id de anydesk {id}, clave {pw}", "rustdesk id {id} pass {pw}",
    "AnyDesk: {id} / contraseña: {pw}",
]:
    for _ in range(3):
        shown, digits = remote_id()
        pw = str(rng.randint(1000, 99999))
        add(template.format(id=shown, pw=pw), pii=[shown.split(" "), [pw]], keep=[])
for code in ["X7K9PQ", "4H2M8Z", "QW3R7T"]:
    add(f"el código de asistencia rápida es {code}", pii=[[code]], keep=["asistencia rápida"])
    add(f"Quick Assist code {code}", pii=[[code]], keep=["Quick Assist"])
add("mi anydesk es pedro.gomez@ad", pii=[["pedro.gomez"]], keep=[])

for country, length in [("DE", 22), ("ES", 24), ("FR", 27), ("IT", 27), ("GB", 22), ("NL", 18), ("PT", 25)]:
    for _ in range(2):
        number = iban(country, length)
        if country in ("GB", "NL"):
            number = number[:4] + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + number[8:]
            # Letters in the bank code: the check digits are computed again.
            body = number[4:]
            num = int("".join(str(int(c, 36)) for c in body + number[:2] + "00"))
            number = f"{number[:2]}{98 - num % 97:02d}{body}"
        add(f"mi IBAN es {grouped(number)}", pii=[[number[-4:]]], keep=[])
        add(f"transferime a {number} por favor", pii=[[number]], keep=["por favor"])

for _ in range(8):
    ip = f"{rng.choice([181, 186, 190, 200, 201, 24, 45])}.{rng.randint(1, 254)}.{rng.randint(0, 254)}.{rng.randint(1, 254)}"
    add(rng.choice(["mi ip pública es {ip}", "me conecto desde {ip}", "la IP que me da whatismyip es {ip}"]).format(ip=ip),
        pii=[[ip]], keep=[])
for ip6 in ["2800:810:4a2:1b::7c3", "2803:9800:9446:8a3c:1d2e:3f4a:5b6c:7d8e", "2001:1388:1640:7a::1"]:
    add(f"mi ipv6 es {ip6}", pii=[[ip6]], keep=[])
for ip in ["192.168.1.100", "192.168.0.1", "10.0.0.138", "172.16.0.10", "8.8.8.8", "1.1.1.1", "255.255.255.0", "127.0.0.1"]:
    add(f"el router tiene {ip} y no navega", keep=[ip])
add("fe80::1c2b:3a4f:fe5d:6e7f es la del adaptador", keep=["fe80::1c2b:3a4f:fe5d:6e7f"])

SEPARATORS = [
    ("mi dni es 30/123/456", ["30/123/456", "123/456"]), ("dni 28,456,789", ["28,456,789", "456,789"]),
    ("DNI31234567 para el trámite", ["31234567"]), ("4111_1111_1111_1111 es la tarjeta", ["4111_1111_1111_1111", "1111_1111"]),
    ("llamame al 11/4444/5555", ["4444/5555", "5555"]), ("llamame al 11.4444.5555", ["4444.5555", "5555"]),
    ("cel +54 (11) 4444.5555", ["5555"]), ("tel 11\u034f4444\u034f5555", ["4444", "5555"]),
    ("tarjeta 4111\u20281111\u20281111\u20281111", ["1111"]), ("mi mail es ana @gmail.com", ["ana"]),
    ("mi mail es ana@gmail\u3002com", ["ana"]), ("mi tarjeta es 4532-1488-0343-6467", ["4532", "6467"]),
    ("mi tarjeta es 4532 1488 0343 6468", ["4532", "6468"]), ("dni 30.123.456-7", ["456", "7"]),
]
for text, tokens in SEPARATORS:
    add(text, pii=[tokens], keep=[])

SPLITS = [
    ("tarjeta 4111 1111", "1111 1111", ["1111"]), ("mi cel es 11 4444", "5555", ["5555"]),
    ("el cbu es 2850590940", "090418135201", ["090418135201"]), ("dni 30.123", ".456", ["456"]),
    ("llamame al 351", "456 7890", ["7890"]), ("mi contraseña es", "Gato#2024x", ["Gato#2024x"]),
    ("te paso la clave del wifi:", "Pampa_9981", ["Pampa_9981"]),
]
for previous, text, tokens in SPLITS:
    add(text, previous=previous, pii=[tokens], keep=[])

KEEP = [
    "la contraseña no me la acepta", "olvidé mi contraseña", "la contraseña de windows es incorrecta",
    "me pide la contraseña del wifi y no la sé", "contraseña incorrecta, dice", "¿cómo cambio la contraseña?",
    "the password is wrong", "I forgot my password", "password reset does not work", "la red se llama Fibertel_WiFi_5G",
    "me sale error 0x80070005 al actualizar", "el pin de carga del cargador está flojo", "me pide un pin de 4 dígitos",
    "la clave es muy larga y no entra", "el código de error es 0xc000000f", "instalé AnyDesk pero no abre",
    "teamviewer versión 15.49.2 no conecta", "windows 11 build 22631.2861", "pedido 4455667788 sin entregar",
    "puerto 8080 bloqueado", "la impresora HP 2775 no imprime", "compré el 15/03/2024 por $ 125.000",
    "factura 0001-00012345", "el modelo es 15-dw1001la", "ticket STI-20261122-AB12CD", "KB5034441 falla",
    "la contraseña tiene que tener 8 caracteres", "el código de seguridad no me llega por sms",
    "me pide código de verificación", "la clave de Windows Hello no anda", "quiero cambiar el pin de windows",
    "Chrome Remote Desktop no conecta", "asistencia rápida no muestra el código", "dame el paso a paso",
]
for text in KEEP:
    add(text, keep=[text])

with open(OUT, "w", encoding="utf-8") as f:
    for line in lines:
        f.write(json.dumps(line, ensure_ascii=False) + "\n")
print(f"{len(lines)} lines → {OUT}")
