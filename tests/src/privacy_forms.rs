//! Every form of personal data and secret the masker learned (issue 22), as a visitor
//! types it, with the strings none of which may be readable afterwards; shared by the
//! end-to-end privacy tests on both backends.

/// The messages a visitor sends after the steps for a first problem, and the strings none
/// of which may be readable anywhere afterwards.
pub struct Form {
    pub name: &'static str,
    pub messages: &'static [&'static str],
    pub secrets: &'static [&'static str],
}

pub const FORMS: &[Form] = &[
    Form {
        name: "password",
        messages: &["mi contraseña es Hunter2!Secreta y no puedo entrar al correo"],
        secrets: &["Hunter2!Secreta", "Hunter2"],
    },
    Form { name: "wifi key", messages: &["la clave del wifi es casa1234 y no conecta"], secrets: &["casa1234"] },
    Form {
        name: "english",
        messages: &["my password is Tr0ub4dor&3 and it fails"],
        secrets: &["Tr0ub4dor&3", "Tr0ub4dor"],
    },
    Form { name: "password=", messages: &["password=Qz9!xLm2 no entra"], secrets: &["Qz9!xLm2"] },
    Form { name: "card pin", messages: &["el pin de la tarjeta es 4821 y el cajero la retuvo"], secrets: &["4821"] },
    Form {
        name: "teamviewer",
        messages: &["te paso el teamviewer: ID 1 234 567 890 clave 4321"],
        secrets: &["1 234 567 890", "567 890", "4321"],
    },
    Form {
        name: "anydesk",
        messages: &["mi anydesk es 812 345 679 y la contraseña Gato#77"],
        secrets: &["812 345 679", "Gato#77"],
    },
    Form { name: "security code", messages: &["código de seguridad 737, no me deja pagar"], secrets: &["737"] },
    Form {
        name: "iban",
        messages: &["el reintegro al IBAN DE89 3704 0044 0532 0130 00"],
        secrets: &["3704 0044", "0532 0130", "DE89"],
    },
    Form { name: "dni glued", messages: &["DNI30123456 para el trámite"], secrets: &["30123456"] },
    Form { name: "mail with a space", messages: &["mi mail es anabelg @gmail.com"], secrets: &["anabelg"] },
    Form { name: "ideographic stop", messages: &["mi mail es anabelh@gmail\u{3002}com"], secrets: &["anabelh"] },
    Form { name: "public ip", messages: &["mi ip pública es 181.45.23.118"], secrets: &["181.45.23.118"] },
    Form { name: "ipv6", messages: &["mi ipv6 es 2800:810:4a2:1b::7c3"], secrets: &["2800:810:4a2:1b::7c3"] },
    Form {
        name: "card with a typo",
        messages: &["mi tarjeta es 4532-1488-0343-6467"],
        secrets: &["4532-1488", "0343-6467", "6467"],
    },
    Form { name: "dni with slashes", messages: &["dni 30/123/456"], secrets: &["30/123/456", "123/456"] },
    Form { name: "dni with commas", messages: &["dni 30,123,456"], secrets: &["30,123,456", "123,456"] },
    Form { name: "card with underscores", messages: &["4111_1111_1111_1111 es la tarjeta"], secrets: &["4111_1111"] },
    Form { name: "phone with slashes", messages: &["llamame al 11/4444/5555"], secrets: &["4444/5555", "5555"] },
    Form { name: "phone with a dot", messages: &["cel +54 (11) 4444.5555"], secrets: &["4444.5555", "5555"] },
    Form {
        name: "invisible separators",
        messages: &["tarjeta 4111\u{034F}1111\u{2028}1111 1111"],
        secrets: &["4111", "1111 1111"],
    },
    Form {
        name: "card over two messages",
        messages: &["tarjeta 4111 1111", "1111 1111"],
        secrets: &["4111 1111", "1111 1111"],
    },
    Form {
        name: "password over two messages",
        messages: &["la clave del wifi es", "Pampa#9981"],
        secrets: &["Pampa#9981"],
    },
    Form { name: "phone over two messages", messages: &["mi cel es 11 4444", "5555"], secrets: &["11 4444", "5555"] },
];

/// Whether `secret` can be read in `text`: as it was written, not glued inside a longer
/// word or number (a request id's hex digits may contain "4821").
pub fn readable(text: &str, secret: &str) -> bool {
    text.match_indices(secret).any(|(at, _)| {
        let before = text[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric());
        let after = text[at + secret.len()..].chars().next().is_some_and(|c| c.is_alphanumeric());
        !before && !after
    })
}

#[cfg(test)]
mod tests {
    use super::readable;

    #[test]
    fn the_readability_check_itself_works() {
        assert!(readable("la clave es 4821.", "4821"));
        assert!(!readable("request 9f4821ab", "4821"));
        assert!(!readable("la clave es [SECRET]", "4821"));
    }
}
