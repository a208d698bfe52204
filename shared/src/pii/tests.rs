use super::*;
use proptest::prelude::*;

/// (input, expected output): what must be masked and what must survive.
const CASES: &[(&str, &str)] = &[
    // Emails.
    ("mi mail es ana.perez@gmail.com", "mi mail es [EMAIL]"),
    ("Escribime a JUAN_P+soporte@empresa.com.ar.", "Escribime a [EMAIL]."),
    ("correo: maria-jose.o'neil@sub.dominio.org, gracias", "correo: [EMAIL], gracias"),
    ("ana arroba gmail punto com", "[EMAIL]"),
    ("juan.p [at] hotmail [dot] com por favor", "[EMAIL] por favor"),
    ("mi usuario es @juancito en twitter", "mi usuario es @juancito en twitter"),
    ("el @ no anda en el teclado", "el @ no anda en el teclado"),
    ("soporte@localhost no es un mail real", "soporte@localhost no es un mail real"),
    ("pepe99@yahoo.com.ar y 1145678901", "[EMAIL] y [PHONE]"),
    // CBU / CVU.
    ("mi CBU es 2850590940090418135201", "mi CBU es [CBU]"),
    ("CBU: 2850 5909 4009 0418 1352 01", "CBU: [CBU]"),
    ("transferime al 0170099220000067797370 gracias", "transferime al [CBU] gracias"),
    ("CVU 0000003100010000000001", "CVU [CBU]"),
    ("mi cbu es 011 69894 29004006103407", "mi cbu es [CBU]"),
    ("te paso 011 69894 29004006103407 para la devolución", "te paso [CBU] para la devolución"),
    ("01169894 29004006103407", "[CBU]"),
    ("cbu 2850590940090418135202 (creo que está mal)", "cbu [CBU] (creo que está mal)"),
    // CUIT / CUIL.
    ("CUIT 20-12345678-6", "CUIT [CUIT]"),
    ("mi cuil es 27123456780", "mi cuil es [CUIT]"),
    ("facturar a 30-50001091-2 por favor", "facturar a [CUIT] por favor"),
    ("CUIL: 20-12345678-5", "CUIL: [CUIT]"),
    ("CUIT 20.12.345.678-6", "CUIT [CUIT]"),
    ("facturá a 20-12345678-6", "facturá a [CUIT]"),
    ("facturá a 20.12345678.6 por favor", "facturá a [CUIT] por favor"),
    ("facturá a 20123456786", "facturá a [CUIT]"),
    ("la factura va a nombre de 27-12345678-0", "la factura va a nombre de [CUIT]"),
    // DNI.
    ("DNI 30.123.456", "DNI [DNI]"),
    ("mi dni es 30123456", "mi dni es [DNI]"),
    ("documento: 5.123.456", "documento: [DNI]"),
    ("Nro de documento 28 456 789", "Nro de documento [DNI]"),
    ("soy Ana, 30.123.456", "soy Ana, [DNI]"),
    ("D.N.I. 40123456", "D.N.I. [DNI]"),
    ("30123456 (DNI) para el trámite", "[DNI] (DNI) para el trámite"),
    // Cards.
    ("tarjeta 4111 1111 1111 1111", "tarjeta [CARD]"),
    ("pagué con 4111-1111-1111-1111 y no pasó", "pagué con [CARD] y no pasó"),
    ("5555555555554444", "[CARD]"),
    ("amex 3782 822463 10005", "amex [CARD]"),
    ("la visa 4111 1111 1111 1112 me rebota", "la visa [CARD] me rebota"),
    ("tarjeta 4111 1111 1111 1111 cvv 123 vence 08/27", "tarjeta [CARD] cvv [CVV] vence 08/27"),
    // Phones.
    ("llamame al 11 4567-8901", "llamame al [PHONE]"),
    ("mi cel: +54 9 11 4567-8901", "mi cel: [PHONE]"),
    ("+5491145678901", "[PHONE]"),
    ("tel (011) 4567-8901", "tel [PHONE]"),
    ("011 4567 8901", "[PHONE]"),
    ("15-4567-8901", "[PHONE]"),
    ("0351 15 456 7890", "[PHONE]"),
    ("351-4567890", "[PHONE]"),
    ("whatsapp 1145678901 o 1156789012", "whatsapp [PHONE] o [PHONE]"),
    ("tel 11 4567 8901 / 11 5678 9012", "tel [PHONE] / [PHONE]"),
    ("fijo 4567-8901", "fijo [PHONE]"),
    ("mi número es 45678901", "mi número es [PHONE]"),
    ("celular de mi hermano 11 2345 6789", "celular de mi hermano [PHONE]"),
    ("+1 (555) 123-4567", "[PHONE]"),
    ("+34 612 345 678", "[PHONE]"),
    ("wa.me/5491145678901", "wa.me/[PHONE]"),
    ("9 11 4567 8901", "[PHONE]"),
    (
        "build 22631.4741, te dejo el +5493415870132, factura 0001-62673599",
        "build 22631.4741, te dejo el [PHONE], factura 0001-62673599",
    ),
    ("te dejo el +5493415870132, factura 0001-62673599", "te dejo el [PHONE], factura 0001-62673599"),
    ("te dejo el +5493415870132", "te dejo el [PHONE]"),
    ("factura 0001-50507440, documento 8.279.331", "factura 0001-50507440, documento [DNI]"),
    ("la IP 192.168.8.239, escribime a ana@example.com", "la IP 192.168.8.239, escribime a [EMAIL]"),
    ("te dejo el +5493415870132, factura", "te dejo el [PHONE], factura"),
    ("22631.4741, te dejo el +5493415870132", "22631.4741, te dejo el [PHONE]"),
    ("build 1, te dejo el +5493415870132", "build 1, te dejo el [PHONE]"),
    ("build x, te dejo el +5493415870132", "build x, te dejo el [PHONE]"),
    ("tel 11\u{2011}4567\u{2011}8901", "tel [PHONE]"),
    ("tel 11\u{2010}4567\u{2212}8901", "tel [PHONE]"),
    ("mi cel １１ ４５６７ ８９０１", "mi cel [PHONE]"),
    ("ana\u{200B}.perez@gmail.com", "[EMAIL]"),
    ("juan.p\u{00AD}erez@hotmail.com gracias", "[EMAIL] gracias"),
    ("00 54 9 11 4567 8901", "[PHONE]"),
    ("0054 9 11 4567 8901", "[PHONE]"),
    ("(4567-8901)", "([PHONE])"),
    ("11 15 4567 8901", "[PHONE]"),
    // Kept: dates and times.
    ("el 15/03/2024 a las 14:30", "el 15/03/2024 a las 14:30"),
    ("desde 2024-03-15 no anda", "desde 2024-03-15 no anda"),
    ("vence 08/27", "vence 08/27"),
    ("15-03-2024 11 4567 8901", "15-03-2024 [PHONE]"),
    ("entre 2023-2024 se rompió", "entre 2023-2024 se rompió"),
    // Kept: prices and quantities.
    ("me cobraron $ 1.250.000", "me cobraron $ 1.250.000"),
    ("salió $15.000,50", "salió $15.000,50"),
    ("USD 1.200", "USD 1.200"),
    ("1.500.000 pesos", "1.500.000 pesos"),
    ("tengo 1.234.567 archivos", "tengo 1.234.567 archivos"),
    ("disco de 500GB y 16 GB de RAM", "disco de 500GB y 16 GB de RAM"),
    // Kept: orders and tickets.
    ("pedido 12345678", "pedido 12345678"),
    ("mi número de pedido es 2000004567891234", "mi número de pedido es 2000004567891234"),
    ("orden #1145678901", "orden #1145678901"),
    ("ticket STI-20261122-AB12CD", "ticket STI-20261122-AB12CD"),
    ("TCK-20240115-1a2b3c", "TCK-20240115-1a2b3c"),
    ("factura 0001-00012345", "factura 0001-00012345"),
    ("factura A 0003-00045678", "factura A 0003-00045678"),
    ("número de cliente 30123456", "número de cliente 30123456"),
    // Kept: error codes, KB numbers, versions, builds, ports, IPs.
    ("error 0x80070005 al actualizar", "error 0x80070005 al actualizar"),
    ("pantalla azul 0xc000021a", "pantalla azul 0xc000021a"),
    ("código de error 0x800f0922", "código de error 0x800f0922"),
    ("KB5034441 falla", "KB5034441 falla"),
    ("la KB 5034441 no instala", "la KB 5034441 no instala"),
    ("Windows 10 versión 22H2 build 19045.3803", "Windows 10 versión 22H2 build 19045.3803"),
    ("versión 10.0.19045.3803", "versión 10.0.19045.3803"),
    ("Chrome 120.0.6099.130", "Chrome 120.0.6099.130"),
    ("puerto 8080 y 443", "puerto 8080 y 443"),
    ("router en 192.168.100.1", "router en 192.168.100.1"),
    ("conecto a 10.0.0.138:3389", "conecto a 10.0.0.138:3389"),
    ("error 1603 y 1618", "error 1603 y 1618"),
    ("Event ID 41 kernel-power", "Event ID 41 kernel-power"),
    // Kept: hardware models and serials.
    ("notebook HP 15-dw1001la", "notebook HP 15-dw1001la"),
    ("Core i7-1165G7 con 16GB", "Core i7-1165G7 con 16GB"),
    ("Lenovo IdeaPad 3 15IAU7", "Lenovo IdeaPad 3 15IAU7"),
    ("impresora Epson L3150", "impresora Epson L3150"),
    ("placa RTX 3060 12GB", "placa RTX 3060 12GB"),
    ("monitor Samsung 24 pulgadas 1920x1080", "monitor Samsung 24 pulgadas 1920x1080"),
    ("IMEI 352099001761481", "IMEI 352099001761481"),
    ("serie 5CD1234XYZ", "serie 5CD1234XYZ"),
    ("S/N 123456789012", "S/N 123456789012"),
    ("0800-555-1234 de la empresa", "0800-555-1234 de la empresa"),
    // Mixed.
    (
        "Hola, soy Ana (DNI 30.123.456), mi cel es 11-2345-6789 y el error es 0x80070005 desde el 15/03/2024",
        "Hola, soy Ana (DNI [DNI]), mi cel es [PHONE] y el error es 0x80070005 desde el 15/03/2024",
    ),
    (
        "CUIT 20-12345678-6, CBU 2850590940090418135201, pedido #4455667788",
        "CUIT [CUIT], CBU [CBU], pedido #4455667788",
    ),
    (
        "Hola, mi nombre es Carlos Gómez, DNI 28.765.432, tel 11-5555-1234",
        "Hola, mi nombre es Carlos Gómez, DNI [DNI], tel [PHONE]",
    ),
    ("el cargo de $ 12.999 con la tarjeta terminada en 1234", "el cargo de $ 12.999 con la tarjeta terminada en 1234"),
    ("Número de tarjeta: 4509 9535 6623 3704", "Número de tarjeta: [CARD]"),
    ("mi celular es 341 5123456", "mi celular es [PHONE]"),
    ("contacto: 0221-15-555-1234", "contacto: [PHONE]"),
    ("mi email es j.perez@outlook.com y mi tel. 4555-1234", "mi email es [EMAIL] y mi tel. [PHONE]"),
    ("llamame al 11 3456 7890 después de las 18 hs", "llamame al [PHONE] después de las 18 hs"),
    ("compré el 12/11 por $45.000, pedido 2000005678901234", "compré el 12/11 por $45.000, pedido 2000005678901234"),
    ("Tengo Windows 11 Pro 23H2 (22631.2861)", "Tengo Windows 11 Pro 23H2 (22631.2861)"),
    // A public address locates the visitor; a LAN address is support data.
    ("la IP pública es 181.45.67.89", "la IP pública es [IP]"),
    ("el router es 192.168.1.100 y el DNS 8.8.8.8", "el router es 192.168.1.100 y el DNS 8.8.8.8"),
    ("mascara 255.255.255.0, gateway 10.0.0.1", "mascara 255.255.255.0, gateway 10.0.0.1"),
    ("mi ipv6 es 2800:810:4a2:1b::7c3", "mi ipv6 es [IP]"),
    ("la versión 10.0.19045.3693 de Windows", "la versión 10.0.19045.3693 de Windows"),
    // Remote-access ids and passwords: whoever reads the ticket could take the computer.
    ("AnyDesk 1 234 567 890", "AnyDesk [SECRET]"),
    ("TeamViewer ID 1234567890 clave 4321", "TeamViewer ID [SECRET] clave [SECRET]"),
    ("te paso el teamviewer: ID 1 234 567 890 clave 4321", "te paso el teamviewer: ID [SECRET] clave [SECRET]"),
    ("mi anydesk es juanperez@ad y la contraseña es Gato#2024", "mi anydesk es [SECRET] y la contraseña es [SECRET]"),
    ("el código de Quick Assist es X7K9PQ", "el código de Quick Assist es [SECRET]"),
    ("Chrome Remote Desktop código 123 456 789 012", "Chrome Remote Desktop código [SECRET]"),
    ("instalé anydesk pero no abre en windows11", "instalé anydesk pero no abre en windows11"),
    // Passwords, PINs and codes.
    ("mi contraseña es Hunter2!Secreta", "mi contraseña es [SECRET]"),
    ("la clave del wifi es casa1234.", "la clave del wifi es [SECRET]."),
    ("my password is hunter2", "my password is [SECRET]"),
    ("password=Tr0ub4dor&3 no anda", "password=[SECRET] no anda"),
    ("el pin de la tarjeta es 4821", "el pin de la tarjeta es [SECRET]"),
    ("código de seguridad 737", "código de seguridad [SECRET]"),
    ("la contraseña es \"hola mundo\" y no entra", "la contraseña es [SECRET] y no entra"),
    ("contraseña: perro", "contraseña: [SECRET]"),
    ("la contraseña no me la acepta", "la contraseña no me la acepta"),
    ("olvidé mi contraseña", "olvidé mi contraseña"),
    (
        "tocá \"Olvidé mi contraseña\" o \"Olvidé mi PIN\" y seguí los pasos",
        "tocá \"Olvidé mi contraseña\" o \"Olvidé mi PIN\" y seguí los pasos",
    ),
    ("la contraseña de windows es incorrecta", "la contraseña de windows es incorrecta"),
    (
        "la red se llama Fibertel_WiFi_5G y la clave es ab12cd34",
        "la red se llama Fibertel_WiFi_5G y la clave es [SECRET]",
    ),
    ("me pide un pin de 6 dígitos", "me pide un pin de 6 dígitos"),
    // Forms that hid a number or an address.
    ("IBAN DE89 3704 0044 0532 0130 00", "IBAN [IBAN]"),
    ("DNI30123456", "DNI[DNI]"),
    ("dni 30/123/456", "dni [DNI]"),
    ("dni 30,123,456", "dni [DNI]"),
    ("4111_1111_1111_1111", "[CARD]"),
    ("11/4444/5555", "[PHONE]"),
    ("+54 (11) 4444.5555", "[PHONE]"),
    ("ana @gmail.com", "[EMAIL]"),
    ("ana@gmail\u{3002}com", "[EMAIL]"),
    ("mi tarjeta es 4532-1488-0343-6467", "mi tarjeta es [CARD]"),
    ("tarjeta 4111\u{034F}1111\u{2028}1111 1111", "tarjeta [CARD]"),
    ("error 651 al conectar, HTTP 500", "error 651 al conectar, HTTP 500"),
    ("Av. Corrientes 1234, piso 5, CP 1425", "Av. Corrientes 1234, piso 5, CP 1425"),
    ("hace 3 días, desde las 10:30 hs", "hace 3 días, desde las 10:30 hs"),
    ("MAC 00:1A:2B:3C:4D:5E", "MAC 00:1A:2B:3C:4D:5E"),
    ("", ""),
    ("sin datos personales acá", "sin datos personales acá"),
    ("ñandú 🙂 12", "ñandú 🙂 12"),
];

#[test]
fn masks_the_table() {
    let mut failures = Vec::new();
    for (input, expected) in CASES {
        let got = mask_pii(input);
        if got != *expected {
            failures.push(format!("  {input:?}\n    expected {expected:?}\n    got      {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), CASES.len(), failures.join("\n"));
}

#[test]
fn masking_is_idempotent_on_the_table() {
    for (input, _) in CASES {
        let once = mask_pii(input);
        assert_eq!(mask_pii(&once), once, "input {input:?}");
    }
}

// ---- generators of valid identifiers -------------------------------------------------

fn cbu_from(bank_branch: [u32; 7], account: [u32; 13]) -> String {
    let w1 = [7, 1, 3, 9, 7, 1, 3];
    let w2 = [3, 9, 7, 1, 3, 9, 7, 1, 3, 9, 7, 1, 3];
    let c1 = (10 - bank_branch.iter().zip(w1).map(|(a, b)| a * b).sum::<u32>() % 10) % 10;
    let c2 = (10 - account.iter().zip(w2).map(|(a, b)| a * b).sum::<u32>() % 10) % 10;
    let mut s: String = bank_branch.iter().map(|d| char::from_digit(*d, 10).unwrap_or('0')).collect();
    s.push(char::from_digit(c1, 10).unwrap_or('0'));
    s.extend(account.iter().map(|d| char::from_digit(*d, 10).unwrap_or('0')));
    s.push(char::from_digit(c2, 10).unwrap_or('0'));
    s
}

fn cuit_from(prefix: u32, dni: u32) -> Option<String> {
    let body = format!("{prefix:02}{dni:08}");
    let weights = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let sum: u32 = body.chars().zip(weights).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return None,
        r => r,
    };
    Some(format!("{body}{check}"))
}

fn luhn_complete(prefix: &str, len: usize, fill: &[u32]) -> String {
    let mut digits: Vec<u32> = prefix.chars().filter_map(|c| c.to_digit(10)).collect();
    let mut k = 0;
    while digits.len() < len - 1 {
        digits.push(fill[k % fill.len()]);
        k += 1;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &v)| {
            if i % 2 == 0 {
                let d = v * 2;
                if d > 9 { d - 9 } else { d }
            } else {
                v
            }
        })
        .sum();
    digits.push((10 - sum % 10) % 10);
    digits.iter().map(|d| char::from_digit(*d, 10).unwrap_or('0')).collect()
}

fn group(s: &str, sizes: &[usize], sep: &str) -> String {
    let mut out = Vec::new();
    let mut at = 0;
    for &n in sizes {
        out.push(&s[at..at + n]);
        at += n;
    }
    if at < s.len() {
        out.push(&s[at..]);
    }
    out.join(sep)
}

const PREFIXES: &[&str] = &["", "hola, ", "mi dato: ", "te paso esto ", "ok "];
const SUFFIXES: &[&str] = &["", " gracias", ". Saludos", ", avisame", " (urgente)"];

fn sentence() -> impl Strategy<Value = (usize, usize)> {
    (0..PREFIXES.len(), 0..SUFFIXES.len())
}

fn assert_masked(text: &str, raw_digits: &str, placeholder: &str) -> Result<(), TestCaseError> {
    let masked = mask_pii(text);
    prop_assert!(masked.contains(placeholder), "{text:?} → {masked:?}, wanted {placeholder}");
    let leaked: String = masked.chars().filter(char::is_ascii_digit).collect();
    prop_assert!(!leaked.contains(raw_digits), "{text:?} → {masked:?} leaks digits");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn valid_cbus_are_masked_in_any_formatting(
        bank in proptest::array::uniform7(0u32..10),
        account in proptest::array::uniform13(0u32..10),
        style in 0usize..6,
        (p, s) in sentence(),
    ) {
        let cbu = cbu_from(bank, account);
        prop_assert!(cbu_is_valid(&cbu));
        let shown = match style {
            0 => cbu.clone(),
            1 => group(&cbu, &[4, 4, 4, 4, 4], " "),
            2 => group(&cbu, &[8], "-"),
            3 => group(&cbu, &[3, 4, 1, 13], " "),
            // How banks print it: entity + branch + account.
            4 => group(&cbu, &[3, 5], " "),
            _ => group(&cbu, &[8], " "),
        };
        let text = format!("{}{}{}", PREFIXES[p], shown, SUFFIXES[s]);
        assert_masked(&text, &cbu, "[CBU]")?;
    }

    #[test]
    fn valid_cuits_are_masked_in_any_formatting(
        prefix in proptest::sample::select(vec![20u32, 23, 24, 27, 30, 33, 34]),
        dni in 1_000_000u32..99_999_999,
        style in 0usize..4,
        (p, s) in sentence(),
    ) {
        if let Some(cuit) = cuit_from(prefix, dni) {
            prop_assert!(cuit_is_valid(&cuit));
            let shown = match style {
                0 => cuit.clone(),
                1 => group(&cuit, &[2, 8], "-"),
                2 => group(&cuit, &[2, 8], "."),
                _ => format!("{}-{}.{}.{}-{}", &cuit[0..2], &cuit[2..4], &cuit[4..7], &cuit[7..10], &cuit[10..]),
            };
            let text = format!("{}{}{}", PREFIXES[p], shown, SUFFIXES[s]);
            assert_masked(&text, &cuit, "[CUIT]")?;
            // A word that keeps order numbers does not keep a proven CUIT.
            assert_masked(&format!("facturá a {shown}{}", SUFFIXES[s]), &cuit, "[CUIT]")?;
        }
    }

    #[test]
    fn valid_cards_are_masked_in_any_formatting(
        network in proptest::sample::select(vec![("4", 16usize), ("51", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15), ("4", 13), ("6011", 16)]),
        fill in proptest::collection::vec(0u32..10, 1..8),
        style in 0usize..3,
        (p, s) in sentence(),
    ) {
        let card = luhn_complete(network.0, network.1, &fill);
        prop_assert!(luhn_is_valid(&card));
        let shown = match (style, card.len()) {
            (0, _) => card.clone(),
            (_, 15) => group(&card, &[4, 6], if style == 1 { " " } else { "-" }),
            (1, _) => group(&card, &[4, 4, 4], " "),
            _ => group(&card, &[4, 4, 4], "-"),
        };
        let text = format!("{}{}{}", PREFIXES[p], shown, SUFFIXES[s]);
        assert_masked(&text, &card, "[CARD]")?;
    }

    #[test]
    fn argentine_mobiles_are_masked_whole(
        area in proptest::sample::select(vec!["11", "351", "341", "261", "2966", "221"]),
        subscriber in 1_000_000u32..9_999_999,
        style in 0usize..6,
        (p, s) in sentence(),
    ) {
        let local_len = 10 - area.len();
        let number = format!("{area}{:0width$}", subscriber % 10u32.pow(local_len as u32), width = local_len);
        let local = &number[area.len()..];
        let shown = match style {
            0 => format!("+54 9 {area} {local}"),
            1 => format!("0{area} 15-{local}"),
            2 => format!("({area}) {}-{}", &local[..local.len() - 4], &local[local.len() - 4..]),
            3 => format!("54 9 {number}").replace(' ', ""),
            4 => format!("{area}-{}-{}", &local[..local.len() - 4], &local[local.len() - 4..]),
            _ => format!("0{area} {local}"),
        };
        let text = format!("{}{}{}", PREFIXES[p], shown, SUFFIXES[s]);
        let masked = mask_pii(&text);
        prop_assert!(masked.contains("[PHONE]"), "{text:?} → {masked:?}");
        prop_assert_eq!(masked.matches("[PHONE]").count(), 1, "one whole phone: {:?}", masked);
        prop_assert!(!masked.contains(local), "{:?} leaks {}", masked, local);
    }

    #[test]
    fn support_data_survives(
        kind in 0usize..8,
        a in 1u32..28, b in 1u32..12, y in 2015u32..2030,
        code in 0u32..u32::MAX,
        kb in 4_000_000u32..5_999_999,
        order in 10_000_000u64..9_999_999_999,
        (p, s) in sentence(),
    ) {
        let kept = match kind {
            0 => format!("{a:02}/{b:02}/{y}"),
            1 => format!("{y}-{b:02}-{a:02}"),
            2 => format!("0x{code:08X}"),
            3 => format!("KB{kb}"),
            4 => format!("pedido #{order}"),
            5 => format!("STI-{y}{b:02}{a:02}-AB12CD"),
            6 => format!("versión {}.{}.{}", a % 20, b, code % 30000),
            _ => format!("$ {}.{:03}", a, code % 1000),
        };
        let text = format!("{}{}{}", PREFIXES[p], kept, SUFFIXES[s]);
        prop_assert_eq!(mask_pii(&text), text);
    }

    #[test]
    fn never_panics_and_is_idempotent(text in "\\PC{0,80}") {
        let once = mask_pii(&text);
        prop_assert_eq!(mask_pii(&once), once.clone());
    }

    #[test]
    fn digit_soup_never_panics(text in "[0-9 +().\\-/a-z@]{0,60}") {
        let once = mask_pii(&text);
        prop_assert_eq!(mask_pii(&once), once.clone());
    }

    #[test]
    fn phones_behind_unicode_dashes_and_fullwidth_digits_are_masked(
        subscriber in 1_000_000u32..9_999_999,
        dash in proptest::sample::select(vec!['\u{2011}', '\u{2010}', '\u{2212}', '\u{2013}', '-']),
        wide in any::<bool>(),
        (p, s) in sentence(),
    ) {
        let local = format!("{:08}", 40_000_000 + subscriber);
        let mut shown = format!("11 {}{dash}{}", &local[..4], &local[4..]);
        if wide {
            shown = shown.chars().map(|c| c.to_digit(10).and_then(|d| char::from_u32(0xFF10 + d)).unwrap_or(c)).collect();
        }
        let text = format!("{}tel {shown}{}", PREFIXES[p], SUFFIXES[s]);
        let masked = mask_pii(&text);
        prop_assert!(masked.contains("[PHONE]"), "{text:?} → {masked:?}");
        prop_assert!(!masked.contains(&local[4..]), "{masked:?} keeps half the number");
    }
}

proptest! {
    // Whole messages at the length limit: few cases, each up to 2,000 characters.
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn long_digit_soup_never_panics_and_is_idempotent(text in "[0-9 +().\\-/a-z@\u{2011}\u{200B}]{0,2000}") {
        let once = mask_pii(&text);
        prop_assert_eq!(mask_pii(&once), once.clone());
    }

    #[test]
    fn long_unicode_text_never_panics_and_is_idempotent(text in "\\PC{0,2000}") {
        let once = mask_pii(&text);
        prop_assert_eq!(mask_pii(&once), once.clone());
    }

    #[test]
    fn long_messages_keep_every_phone_in_them_masked(
        phones in proptest::collection::vec(1_000_000u32..9_999_999, 1..40),
    ) {
        let text: String = phones.iter().map(|n| format!("cel 11 {}-{:04} y ", 4000 + n % 5000, n % 10_000)).collect();
        let masked = mask_pii(&text);
        prop_assert_eq!(masked.matches("[PHONE]").count(), phones.len(), "{}", masked);
    }
}

#[test]
fn numbers_split_over_two_messages_are_masked_in_both() {
    let cases: &[(&str, &str, &str, Option<&str>)] = &[
        ("tarjeta 4111 1111", "1111 1111", "[CARD]", Some("tarjeta [CARD]")),
        ("mi cel es 11 4444", "5555", "[PHONE]", Some("mi cel es [PHONE]")),
        ("mi cel es [PHONE]", "5555", "[PHONE]", None),
        ("mi cel es [PHONE]", "2 impresoras no andan", "2 impresoras no andan", None),
        ("mi dni es", "30123456", "[DNI]", None),
        ("la impresora no imprime", "desde ayer", "desde ayer", None),
        ("llamame al [PHONE]", "gracias", "gracias", None),
        ("pedido 1234", "5678", "5678", None),
        ("te paso el teamviewer: ID [SECRET] clave [SECRET]", "tarjeta 4111 1111", "tarjeta 4111 1111", None),
        ("mi contraseña es", "Gato#2024", "[SECRET]", None),
    ];
    for (previous, text, masked, rewritten) in cases {
        let (got, got_previous) = mask_across(previous, text);
        assert_eq!(got, *masked, "{previous:?} + {text:?}");
        assert_eq!(got_previous.as_deref(), *rewritten, "{previous:?} + {text:?}");
    }
}

/// The knowledge base is ours: masking a bot line must never change a word of it (its
/// steps speak of passwords, PINs, versions and addresses).
#[test]
fn the_knowledge_base_passes_through_unchanged() {
    use crate::chat::kb::{GENERAL, categories};
    let mut checked = 0;
    for category in categories().chain(std::iter::once(&GENERAL)) {
        let texts = [category.title_es, category.title_en]
            .into_iter()
            .chain(category.steps_es.iter().copied())
            .chain(category.more_es.iter().copied())
            .chain(category.steps_en.iter().copied())
            .chain(category.more_en.iter().copied());
        for text in texts {
            assert_eq!(mask_pii(text), normalise(text), "{}: {text}", category.id);
            checked += 1;
        }
    }
    assert!(checked > 200, "{checked} texts");
}
