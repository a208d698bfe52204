//! What the words around a number say it is: "DNI 30123456" is a document, "pedido
//! 30123456" is an order to keep, "$ 1.250.000" is a price.

use crate::text;

/// The meaning that nearby words give to a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hint {
    /// Support data to keep: orders, tickets, error codes, serials, versions, ports…
    Keep,
    Dni,
    Cuit,
    Cbu,
    Card,
    Cvv,
    Phone,
    /// A money amount or a quantity with a unit.
    Amount,
}

pub(super) fn keyword_hint(word: &str) -> Option<Hint> {
    let hint = match word {
        "dni" | "documento" | "doc" | "docu" | "document" | "cedula" | "le" | "lc" | "pasaporte" | "passport" => {
            Hint::Dni
        }
        "cuit" | "cuil" | "cdi" | "cuitcuil" => Hint::Cuit,
        "cbu" | "cvu" => Hint::Cbu,
        "tarjeta" | "tarj" | "card" | "visa" | "mastercard" | "master" | "amex" | "cabal" | "naranja" | "credito"
        | "debito" | "maestro" | "diners" | "plastico" => Hint::Card,
        "cvv" | "cvc" | "cvv2" | "cid" => Hint::Cvv,
        "tel" | "tels" | "telefono" | "telefonos" | "telf" | "tlf" | "cel" | "celu" | "celular" | "celulares"
        | "movil" | "whatsapp" | "whatsap" | "wsp" | "wpp" | "whats" | "wa" | "llamame" | "llamar" | "llamarme"
        | "llamen" | "llamenme" | "llamas" | "llama" | "contactame" | "contacto" | "phone" | "mobile" | "cell"
        | "call" | "fijo" | "linea" | "numero" | "nro" | "num" | "number" | "escribime" | "mensaje" | "sms"
        | "text" => Hint::Phone,
        "pedido" | "pedidos" | "orden" | "order" | "ordenes" | "ticket" | "tickets" | "tck" | "factura" | "fact"
        | "invoice" | "comprobante" | "remito" | "operacion" | "transaccion" | "transaction" | "referencia" | "ref"
        | "tracking" | "seguimiento" | "envio" | "guia" | "caso" | "case" | "incidente" | "incident" | "reclamo"
        | "gestion" | "expediente" | "serie" | "serial" | "sn" | "imei" | "kb" | "error" | "errores" | "codigo"
        | "code" | "puerto" | "port" | "puertos" | "modelo" | "model" | "version" | "versiones" | "build"
        | "compilacion" | "id" | "cliente" | "abonado" | "socio" | "sku" | "articulo" | "producto" | "lote"
        | "release" | "firmware" | "bios" | "driver" | "evento" | "event" | "stop" | "pid" | "licencia" | "license"
        | "cupon" | "voucher" | "partida" | "patente" | "interno" | "extension" | "ext" | "legajo" | "afiliado"
        | "poliza" | "contrato" | "nota" | "mesa" | "sala" | "aula" | "oficina" | "piso" | "habitacion" | "vuelo"
        | "reserva" | "booking" | "localizador" | "http" | "https" | "mac" | "cp" | "postal" | "altura" | "calle"
        | "av" | "avenida" | "ruta" | "km" | "cuotas" => Hint::Keep,
        "$" | "usd" | "ars" | "us$" | "u$s" | "u$d" | "eur" | "€" | "precio" | "costo" | "cuesta" | "salio"
        | "pague" | "cobraron" | "monto" | "importe" | "total" | "saldo" | "abone" | "transferi" | "deposite" => {
            Hint::Amount
        }
        _ => return None,
    };
    Some(hint)
}

/// Words that carry no meaning of their own between a keyword and its number.
fn is_filler(word: &str) -> bool {
    matches!(
        word,
        "es" | "son"
            | "mi"
            | "mis"
            | "de"
            | "del"
            | "el"
            | "la"
            | "los"
            | "las"
            | "al"
            | "a"
            | "n"
            | "no"
            | "nº"
            | "n°"
            | "o"
            | "y"
            | "is"
            | "my"
            | "the"
            | "your"
            | "our"
            | "tu"
            | "su"
            | "un"
            | "una"
            | "con"
            | "por"
            | "favor"
            | "para"
            | "que"
            | "sea"
            | "seria"
            | "este"
            | "esta"
            | "esto"
            | "aca"
            | "aqui"
            | "here"
            | "it's"
            | "its"
            | "at"
            | "on"
            | "to"
            | "me"
            | "te"
            | "le"
            | "lo"
            | "nuevo"
            | "nueva"
            | "viejo"
            | "vieja"
            | "personal"
            | "actual"
            | "completo"
            | "mismo"
            | "misma"
            | "sin"
            | "e"
            | "en"
            | "tengo"
            | "tiene"
            | "have"
            | "has"
            | "was"
            | "fue"
            | "era"
            | "asociado"
            | "asociada"
            | "registrado"
            | "registrada"
            | "siguiente"
            | "following"
            | "anota"
            | "paso"
            | "dejo"
            | "pongo"
            | "escribo"
    )
}

/// A folded word of the text: its byte range in the original, its range in the folded
/// buffer, and what it says about a number near it (worked out once per word).
pub struct Word {
    pub start: usize,
    pub end: usize,
    folded: std::ops::Range<usize>,
    /// What the word says of a number near it, and whether it says something of its own
    /// (not a filler word, not a bare sign or number): worked out when first needed.
    meaning: std::cell::OnceCell<(Option<Hint>, bool)>,
    /// All digits: another number.
    numeric: bool,
}

/// Every word of a text, folded into one buffer (one allocation, not one per word).
pub struct Words {
    folded: String,
    words: Vec<Word>,
}

impl Words {
    fn text_of(&self, word: &Word) -> &str {
        &self.folded[word.folded.clone()]
    }

    fn meaning(&self, word: &Word) -> (Option<Hint>, bool) {
        if word.numeric {
            return (None, false);
        }
        *word.meaning.get_or_init(|| {
            let text = self.text_of(word);
            (keyword_hint(text), !is_filler(text) && text.chars().any(char::is_alphabetic))
        })
    }
}

/// Folded words of `s` with their byte ranges; dotted or slashed single letters join into
/// one word, so "D.N.I." reads as "dni" and "S/N" as "sn".
pub fn words_with_offsets(s: &str) -> Words {
    // A word per five bytes or so: one allocation for most messages.
    let mut out = Words { folded: String::with_capacity(s.len()), words: Vec::with_capacity(s.len() / 5 + 4) };
    let mut word_start: Option<(usize, usize)> = None;
    let mut segment_len = 0;
    let finish = |out: &mut Words, start: Option<(usize, usize)>, end: usize| {
        if let Some((start, fstart)) = start {
            let folded = fstart..out.folded.len();
            let numeric = out.folded[folded.clone()].bytes().all(|b| b.is_ascii_digit());
            out.words.push(Word { start, end, folded, meaning: std::cell::OnceCell::new(), numeric });
        }
    };
    let bytes = s.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        // ASCII (most of any message) is folded byte by byte, without decoding.
        let (c, width, in_word) = match bytes[at] {
            b if b.is_ascii() => (char::from(b.to_ascii_lowercase()), 1, b.is_ascii_alphanumeric() || b == b'$'),
            _ => {
                let original = s[at..].chars().next().unwrap_or(' ');
                let c = text::fold_char(original);
                (c, original.len_utf8(), c.is_alphanumeric() || c == '€')
            }
        };
        if in_word {
            if word_start.is_none() {
                word_start = Some((at, out.folded.len()));
            }
            out.folded.push(c);
            segment_len += 1;
            at += width;
            continue;
        }
        let next_is_single_letter = || {
            let mut rest = s[at + width..].chars().map(text::fold_char);
            rest.next().is_some_and(|n| n.is_alphabetic()) && !rest.next().is_some_and(|n| n.is_alphanumeric())
        };
        if matches!(c, '.' | '/') && segment_len == 1 && next_is_single_letter() {
            segment_len = 0;
            at += width;
            continue;
        }
        segment_len = 0;
        finish(&mut out, word_start.take(), at);
        at += width;
    }
    finish(&mut out, word_start.take(), s.len());
    out
}

#[cfg(test)]
fn folded_words(s: &str) -> Vec<String> {
    let words = words_with_offsets(s);
    words.words.iter().map(|w| words.text_of(w).to_owned()).collect()
}

/// "#123", "$ 1.250": a sign right before the number decides it.
fn sign_before(before: &str) -> Option<Hint> {
    match before.trim_end().chars().last() {
        Some('#') => Some(Hint::Keep),
        Some('$') | Some('€') => Some(Hint::Amount),
        _ => None,
    }
}

/// The nearest meaningful keyword among the words before a number, nearest first.
fn decide_before<'a>(words: &Words, nearest_first: impl Iterator<Item = &'a Word>) -> Option<Hint> {
    let mut content_words_passed = 0;
    let mut numbers_passed = 0;
    for word in nearest_first.take(6) {
        let (hint, content) = words.meaning(word);
        match hint {
            // "pedido 123" keeps a number only when the keyword sits right beside it, and
            // not across another number ("build 22631, te dejo el +54…": the build is
            // 22631); a PII keyword still names a number a few words later ("celular de
            // mi hermano").
            Some(Hint::Keep) | Some(Hint::Amount) if content_words_passed > 0 || numbers_passed > 0 => return None,
            Some(hint) => return Some(hint),
            None => {}
        }
        if word.numeric {
            numbers_passed += 1;
        } else if content {
            content_words_passed += 1;
        }
    }
    None
}

/// The first words after a number: a unit or currency makes it an amount, a PII keyword
/// ("30123456 (DNI)") names it.
fn decide_after<'a>(words: &Words, mut after: impl Iterator<Item = &'a Word>) -> Option<Hint> {
    let first = after.next()?;
    if UNIT_WORDS.contains(&words.text_of(first)) {
        return Some(Hint::Amount);
    }
    std::iter::once(first).chain(after.take(3)).find_map(|word| match words.meaning(word).0 {
        Some(Hint::Keep) | Some(Hint::Amount) | None => None,
        Some(hint) => Some(hint),
    })
}

/// How far around a number its context reaches, in bytes.
const BEFORE_WINDOW: usize = 120;
const AFTER_WINDOW: usize = 60;

/// The whole text tokenised once, so every number's context is a lookup.
pub struct Context<'t> {
    text: &'t str,
    words: Words,
}

impl<'t> Context<'t> {
    pub fn new(text: &'t str) -> Context<'t> {
        // A placeholder left by an earlier masking ("[PHONE]") is no keyword: masking
        // masked text must change nothing.
        let bytes = text.as_bytes();
        let mut words = words_with_offsets(text);
        words.words.retain(|w| !(w.start > 0 && bytes[w.start - 1] == b'[' && bytes.get(w.end) == Some(&b']')));
        Context { text, words }
    }

    /// The hint given by what precedes byte `at`.
    pub fn before(&self, at: usize) -> Option<Hint> {
        if let Some(hint) = sign_before(&self.text[..at]) {
            return Some(hint);
        }
        let words = &self.words.words;
        let upto = words.partition_point(|w| w.end <= at);
        let floor = at.saturating_sub(BEFORE_WINDOW);
        decide_before(&self.words, words[..upto].iter().rev().take_while(|w| w.start >= floor))
    }

    /// The hint given by what follows byte `at`.
    pub fn after(&self, at: usize) -> Option<Hint> {
        let words = &self.words.words;
        let from = words.partition_point(|w| w.start < at);
        let ceiling = at + AFTER_WINDOW;
        decide_after(&self.words, words[from..].iter().take_while(|w| w.start < ceiling))
    }
}

/// Looks back over the few words before a number for the nearest meaningful keyword.
#[cfg(test)]
pub fn hint_before(before: &str) -> Option<Hint> {
    Context::new(before).before(before.len())
}

#[cfg(test)]
pub fn hint_after(after: &str) -> Option<Hint> {
    Context::new(after).after(0)
}

const UNIT_WORDS: &[&str] = &[
    "pesos",
    "peso",
    "dolares",
    "dolar",
    "usd",
    "ars",
    "euros",
    "mil",
    "millones",
    "k",
    "kb",
    "mb",
    "gb",
    "tb",
    "bytes",
    "byte",
    "b",
    "kbps",
    "mbps",
    "gbps",
    "mhz",
    "ghz",
    "hz",
    "px",
    "dpi",
    "rpm",
    "w",
    "v",
    "mah",
    "fps",
    "ms",
    "hs",
    "h",
    "horas",
    "hora",
    "min",
    "minutos",
    "seg",
    "segundos",
    "dias",
    "meses",
    "anos",
    "veces",
    "archivos",
    "fotos",
    "mails",
    "correos",
    "mensajes",
    "registros",
    "filas",
    "usuarios",
    "paginas",
    "hojas",
    "copias",
    "puntos",
    "km",
    "metros",
    "cuotas",
    "items",
    "unidades",
    "files",
    "photos",
    "emails",
    "times",
    "users",
    "rows",
    "records",
    "pages",
    "dollars",
    "visitas",
    "clientes",
    "empleados",
    "equipos",
    "pcs",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_keyword_wins() {
        assert_eq!(hint_before("mi número de pedido es "), Some(Hint::Keep));
        assert_eq!(hint_before("el pedido llegó, llamame al "), Some(Hint::Phone));
        assert_eq!(hint_before("Mi DNI: "), Some(Hint::Dni));
        assert_eq!(hint_before("pagué $"), Some(Hint::Amount));
        assert_eq!(hint_before("orden #"), Some(Hint::Keep));
        assert_eq!(hint_before("la compu se apagó "), None);
        assert_eq!(hint_before("CBU para el reintegro: "), Some(Hint::Cbu));
        assert_eq!(hint_before("el pedido que hice ayer "), None, "keep only when adjacent");
        assert_eq!(hint_before("celular de mi hermano "), Some(Hint::Phone));
        assert_eq!(hint_before("mi CBU es "), Some(Hint::Cbu));
    }

    #[test]
    fn dotted_abbreviations_read_as_words() {
        assert_eq!(folded_words("D.N.I. y S/N c.u.i.t"), vec!["dni", "y", "sn", "cuit"]);
        assert_eq!(folded_words("a la P.C."), vec!["a", "la", "pc"]);
    }

    #[test]
    fn units_after_make_amounts() {
        assert_eq!(hint_after(" pesos el mes pasado"), Some(Hint::Amount));
        assert_eq!(hint_after(" (DNI)"), Some(Hint::Dni));
        assert_eq!(hint_after(" y no anda"), None);
    }
}
