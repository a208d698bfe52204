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

fn keyword_hint(word: &str) -> Option<Hint> {
    let hint = match word {
        "dni" | "documento" | "doc" | "docu" | "document" | "cedula" | "le" | "lc" | "pasaporte"
        | "passport" => Hint::Dni,
        "cuit" | "cuil" | "cdi" | "cuitcuil" => Hint::Cuit,
        "cbu" | "cvu" => Hint::Cbu,
        "tarjeta" | "tarj" | "card" | "visa" | "mastercard" | "master" | "amex" | "cabal"
        | "naranja" | "credito" | "debito" | "maestro" | "diners" | "plastico" => Hint::Card,
        "cvv" | "cvc" | "cvv2" | "cid" => Hint::Cvv,
        "tel" | "tels" | "telefono" | "telefonos" | "telf" | "tlf" | "cel" | "celu" | "celular"
        | "celulares" | "movil" | "whatsapp" | "whatsap" | "wsp" | "wpp" | "whats" | "wa"
        | "llamame" | "llamar" | "llamarme" | "llamen" | "llamenme" | "llamas" | "llama"
        | "contactame" | "contacto" | "phone" | "mobile" | "cell" | "call" | "fijo" | "linea"
        | "numero" | "nro" | "num" | "number" | "escribime" | "mensaje" | "sms" | "text" => {
            Hint::Phone
        }
        "pedido" | "pedidos" | "orden" | "order" | "ordenes" | "ticket" | "tickets" | "tck"
        | "factura" | "fact" | "invoice" | "comprobante" | "remito" | "operacion" | "transaccion"
        | "transaction" | "referencia" | "ref" | "tracking" | "seguimiento" | "envio" | "guia"
        | "caso" | "case" | "incidente" | "incident" | "reclamo" | "gestion" | "expediente"
        | "serie" | "serial" | "sn" | "imei" | "kb" | "error" | "errores" | "codigo" | "code"
        | "puerto" | "port" | "puertos" | "modelo" | "model" | "version" | "versiones" | "build"
        | "compilacion" | "id" | "cliente" | "abonado" | "socio" | "sku"
        | "articulo" | "producto" | "lote" | "release" | "firmware" | "bios" | "driver"
        | "evento" | "event" | "stop" | "pid" | "licencia" | "license" | "cupon" | "voucher"
        | "partida" | "patente" | "interno" | "extension" | "ext" | "legajo" | "afiliado"
        | "poliza" | "contrato" | "nota" | "mesa" | "sala" | "aula" | "oficina" | "piso"
        | "habitacion" | "vuelo" | "reserva" | "booking" | "localizador" | "anydesk"
        | "teamviewer" | "rustdesk" | "remoto" | "http" | "https" | "ip" | "mac" | "cp" | "postal"
        | "altura" | "calle" | "av" | "avenida" | "ruta" | "km" | "cuotas" => Hint::Keep,
        "$" | "usd" | "ars" | "us$" | "u$s" | "u$d" | "eur" | "€" | "precio" | "costo"
        | "cuesta" | "salio" | "pague" | "cobraron" | "monto" | "importe" | "total"
        | "saldo" | "abone" | "transferi" | "deposite" => Hint::Amount,
        _ => return None,
    };
    Some(hint)
}

/// Words that carry no meaning of their own between a keyword and its number.
fn is_filler(word: &str) -> bool {
    matches!(
        word,
        "es" | "son" | "mi" | "mis" | "de" | "del" | "el" | "la" | "los" | "las" | "al" | "a" | "n"
            | "no" | "nº" | "n°" | "o" | "y" | "is" | "my" | "the" | "your" | "our" | "tu" | "su"
            | "un" | "una" | "con" | "por" | "favor" | "para" | "que" | "sea" | "seria" | "este"
            | "esta" | "esto" | "aca" | "aqui" | "here" | "it's" | "its" | "at" | "on" | "to"
            | "me" | "te" | "le" | "lo" | "nuevo" | "nueva" | "viejo" | "vieja" | "personal"
            | "actual" | "completo" | "mismo" | "misma" | "sin" | "e" | "en" | "tengo" | "tiene"
            | "have" | "has" | "was" | "fue" | "era" | "asociado" | "asociada" | "registrado"
            | "registrada" | "siguiente" | "following" | "anota" | "paso" | "dejo" | "pongo"
            | "escribo"
    )
}

/// Folded words of `s`; dotted or slashed single letters join into one word, so
/// "D.N.I." reads as "dni" and "S/N" as "sn".
fn folded_words(s: &str) -> Vec<String> {
    let chars: Vec<char> = text::fold(s).chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut segment_len = 0;
    for (i, &c) in chars.iter().enumerate() {
        if c.is_alphanumeric() || c == '$' || c == '€' {
            cur.push(c);
            segment_len += 1;
            continue;
        }
        let next_is_single_letter = chars.get(i + 1).is_some_and(|n| n.is_alphabetic())
            && !chars.get(i + 2).is_some_and(|n| n.is_alphanumeric());
        if matches!(c, '.' | '/') && segment_len == 1 && next_is_single_letter {
            segment_len = 0;
            continue;
        }
        segment_len = 0;
        if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Looks back over the few words before a number for the nearest meaningful keyword.
pub fn hint_before(before: &str) -> Option<Hint> {
    let trimmed = before.trim_end();
    // A number glued to "#" or a currency symbol needs no words around it.
    match trimmed.chars().last() {
        Some('#') => return Some(Hint::Keep),
        Some('$') | Some('€') => return Some(Hint::Amount),
        _ => {}
    }
    let tail_start = trimmed
        .char_indices()
        .rev()
        .nth(60)
        .map_or(0, |(i, _)| i);
    let words = folded_words(&trimmed[tail_start..]);
    let mut content_words_passed = 0;
    for word in words.iter().rev().take(6) {
        match keyword_hint(word) {
            // "pedido 123" keeps a number only when the keyword sits right beside it;
            // a PII keyword still names a number a few words later ("celular de mi hermano").
            Some(Hint::Keep) | Some(Hint::Amount) if content_words_passed > 0 => return None,
            Some(hint) => return Some(hint),
            None => {}
        }
        if !is_filler(word) && word.chars().any(char::is_alphabetic) {
            content_words_passed += 1;
        }
    }
    None
}

const UNIT_WORDS: &[&str] = &[
    "pesos", "peso", "dolares", "dolar", "usd", "ars", "euros", "mil", "millones", "k", "kb", "mb",
    "gb", "tb", "bytes", "byte", "b", "kbps", "mbps", "gbps", "mhz", "ghz", "hz", "px", "dpi", "rpm",
    "w", "v", "mah", "fps", "ms", "hs", "h", "horas", "hora", "min", "minutos", "seg", "segundos",
    "dias", "meses", "anos", "veces", "archivos", "fotos", "mails", "correos", "mensajes",
    "registros", "filas", "usuarios", "paginas", "hojas", "copias", "puntos", "km", "metros",
    "cuotas", "items", "unidades", "files", "photos", "emails", "times", "users", "rows",
    "records", "pages", "dollars", "visitas", "clientes", "empleados", "equipos", "pcs",
];

/// Looks at the first words after a number: a unit or currency makes it an amount, a
/// PII keyword ("30123456 (DNI)") names it.
pub fn hint_after(after: &str) -> Option<Hint> {
    let head_end = after.char_indices().nth(40).map_or(after.len(), |(i, _)| i);
    let words = folded_words(&after[..head_end]);
    let first = words.first()?;
    if UNIT_WORDS.contains(&first.as_str()) {
        return Some(Hint::Amount);
    }
    for word in words.iter().take(4) {
        match keyword_hint(word) {
            Some(Hint::Keep) | Some(Hint::Amount) | None => {}
            Some(hint) => return Some(hint),
        }
    }
    None
}

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
