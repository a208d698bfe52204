use super::keyword::{Keyword, collapse_runs};
use super::*;

/// (visitor text, expected category id or "vague"/"unknown").
const CASES: &[(&str, &str)] = &[
    // power
    ("mi compu no enciende", "power"),
    ("La PC no prende", "power"),
    ("no arranca la notebook, no hace nada", "power"),
    ("aprieto el botón de encendido y nada", "power"),
    ("se apaga sola a los 5 minutos", "power"),
    ("my computer won't turn on", "power"),
    ("nno enciende", "power"),
    // slow
    ("la compu está re lenta", "slow"),
    ("anda lentísima y se tilda todo el tiempo", "slow"),
    ("tarda mucho en abrir cualquier cosa", "slow"),
    // frozen
    ("se cuelga cuando abro chrome", "frozen"),
    ("se me colgó windows", "frozen"),
    ("quedó tildada la pantalla y no responde", "frozen"),
    ("my laptop froze", "frozen"),
    // phone charging
    ("el celular no carga", "phone_charging"),
    ("mi celu no carga aunque lo enchufo", "phone_charging"),
    ("my phone won't charge", "phone_charging"),
    ("el disco está al 100% todo el tiempo", "slow"),
    ("my laptop is very slow", "slow"),
    ("anda lentaa", "slow"),
    // internet
    ("no tengo internet", "internet"),
    ("se me corta el wifi", "internet"),
    ("el Wi-Fi no conecta", "internet"),
    ("no navega, dice sin conexión", "internet"),
    ("el router tiene una luz roja", "internet"),
    ("internet anda mal", "internet"),
    ("intenet no anda", "internet"),
    ("I can't connect to the network", "internet"),
    // printer
    ("la impresora no imprime", "printer"),
    ("no puedo imprimir", "printer"),
    ("la imprsora dice atasco de papel", "printer"),
    ("se quedó sin tinta el cartucho", "printer"),
    ("the printer is offline", "printer"),
    ("no me anda el escáner", "printer"),
    // bsod
    ("me sale una pantalla azul", "bsod"),
    ("pantallazo azul con CRITICAL_PROCESS_DIED", "bsod"),
    ("error 0x0000007b al iniciar", "bsod"),
    ("se reinicia sola cada tanto", "bsod"),
    ("blue screen of death", "bsod"),
    // malware
    ("creo que tengo un virus", "malware"),
    ("me aparecen ventanas emergentes con publicidad", "malware"),
    ("me hackearon", "malware"),
    ("my pc is infected with malware", "malware"),
    ("tengo virsu", "malware"),
    // account
    ("me olvidé la contraseña", "account"),
    ("la cuenta está bloqueada", "account"),
    ("no puedo iniciar sesión en windows", "account"),
    ("olvidé el PIN", "account"),
    ("I forgot my password", "account"),
    ("contrasenia", "account"),
    // email
    ("no me llegan los correos", "email"),
    ("outlook no envía mails", "email"),
    ("gmail no carga la bandeja de entrada", "email"),
    ("I'm not receiving emails", "email"),
    // sound
    ("no tengo sonido", "sound"),
    ("no se escucha nada por los parlantes", "sound"),
    ("el micrófono no anda en zoom", "sound"),
    ("no sound from the speakers", "sound"),
    // display
    ("el monitor no da imagen", "display"),
    ("la pantalla parpadea", "display"),
    ("la pantalla no enciende pero la compu sí", "display"),
    ("el monitor dice sin señal", "display"),
    ("the screen is flickering", "display"),
    // input
    ("el teclado no escribe", "input"),
    ("el mouse no funciona", "input"),
    ("el touchpad no anda", "input"),
    ("el tecaldo escribe otras letras", "input"),
    ("my keyboard stopped working", "input"),
    // software
    ("no puedo instalar un programa", "software"),
    ("excel no abre", "software"),
    ("cómo instalo zoom", "software"),
    ("I need to install office", "software"),
    // phone
    ("mi celular está lento", "phone"),
    ("el iphone no tiene señal", "phone"),
    ("my android phone keeps crashing", "phone"),
    // files
    ("borré unos archivos sin querer", "files"),
    ("necesito recuperar fotos borradas", "files"),
    ("quiero hacer un backup", "backup"),
    // camera and removable drives
    ("la webcam no me toma", "camera"),
    ("no se me ve en la videollamada, la camara esta negra", "camera"),
    ("the webcam is not working", "camera"),
    ("el pendrive no lo detecta", "usb_drive"),
    ("conecto el disco externo y no pasa nada", "usb_drive"),
    ("my flash drive is not recognized", "usb_drive"),
    // guides
    ("quiero instalar anydesk", "remote_help"),
    ("how do i install teamviewer", "remote_help"),
    ("como configuro el chromecast", "tv_apps"),
    ("how do i set up a fire tv stick", "tv_apps"),
    ("quiero instalar una impresora nueva", "printer_setup"),
    ("how do i add a printer", "printer_setup"),
    ("como cambio la clave del wifi", "router_setup"),
    ("how do i change the wifi password", "router_setup"),
    ("quiero pasar fotos del celular a la compu", "phone_transfer"),
    ("how do i transfer photos from my phone", "phone_transfer"),
    ("como pongo el mail en el celular", "phone_email"),
    ("how do i get my email on my phone", "phone_email"),
    ("como hago una copia de seguridad", "backup"),
    ("i want to back up my laptop", "backup"),
    ("I deleted important files", "files"),
    // storage
    ("el disco está lleno", "storage"),
    ("no tengo espacio en el disco C", "storage"),
    ("low disk space warning", "storage"),
    // battery
    ("la batería no carga", "battery"),
    ("el cargador no anda", "battery"),
    ("laptop battery not charging", "battery"),
    // vague
    ("no anda", "vague"),
    ("tengo un problema", "vague"),
    ("ayuda", "vague"),
    ("la compu no funciona", "vague"),
    ("something is broken", "vague"),
    ("hola", "vague"),
    ("", "vague"),
    // unknown
    ("quiero saber cómo se configura el control remoto del aire acondicionado del living", "unknown"),
    ("necesito que me presupuesten el mantenimiento anual de las cámaras de seguridad", "unknown"),
];

fn label(c: &Classification) -> String {
    match c {
        Classification::Category(id) => (*id).to_owned(),
        Classification::Ambiguous(ids) => format!("ambiguous{ids:?}"),
        Classification::Vague => "vague".to_owned(),
        Classification::Unknown => "unknown".to_owned(),
    }
}

#[test]
fn classifies_the_table() {
    let mut failures = Vec::new();
    for (text, expected) in CASES {
        let got = label(&classify(text));
        if got != *expected {
            failures.push(format!("  {text:?}: expected {expected}, got {got} (scores {:?})", scores(text)));
        }
    }
    assert!(failures.is_empty(), "{} of {} failed:\n{}", failures.len(), CASES.len(), failures.join("\n"));
}

#[test]
fn every_category_has_a_case_and_a_keyword_of_its_own() {
    for category in kb::categories() {
        assert!(CASES.iter().any(|(_, id)| *id == category.id), "no test case for {}", category.id);
    }
}

/// A named peripheral wins over a generic verb: the device decides the family, unless
/// the message says the whole computer is stuck.
#[test]
fn a_named_device_comes_first_unless_the_whole_computer_is_stuck() {
    let devices = [
        ("el mouse", "input"),
        ("el mause", "input"),
        ("el teclado", "input"),
        ("el teclaco", "input"),
        ("el touchpad", "input"),
        ("el joystick", "input"),
        ("la impresora", "printer"),
        ("la impre", "printer"),
        ("el monitor", "display"),
        ("la pamtaya", "display"),
        ("el parlante", "sound"),
        ("el bafle", "sound"),
        ("los auriculares", "sound"),
        ("el router", "internet"),
        ("el modem", "internet"),
        ("el celu", "phone"),
        ("el celular", "phone"),
        ("la tele", "tv_apps"),
        ("la webcam", "camera"),
        ("el pendrive", "usb_drive"),
        ("el disco externo", "usb_drive"),
    ];
    for (device, expected) in devices {
        for symptom in ["no responde", "no anda", "no se mueve", "no funciona"] {
            let text = format!("{device} {symptom}");
            assert_eq!(classify(&text), Classification::Category(expected), "{text:?}: {:?}", scores(&text));
        }
    }
    for stuck in [
        "se colgó la compu",
        "se colgo la kompu",
        "no responde nada",
        "quedó congelada la pantalla",
        "la notebook quedó congelada y el mouse no se mueve",
        "se tildó todo, ni el teclado responde",
        "my computer froze and the mouse doesn't move",
    ] {
        assert_eq!(classify(stuck), Classification::Category("frozen"), "{stuck:?}: {:?}", scores(stuck));
    }
    // The charger of a phone is the phone's; of a laptop, the laptop's.
    assert_eq!(classify("el cargador del celu no anda"), Classification::Category("phone_charging"));
    assert_eq!(classify("el cargador de la notebook no anda"), Classification::Category("battery"));
}

/// Two devices that share nothing, and no words that pick one: one question, whose
/// options are those devices' categories.
#[test]
fn two_unrelated_devices_become_a_question_about_them() {
    match classify("el mouse y la impresora no andan") {
        Classification::Ambiguous(ids) => assert_eq!(ids, ["input", "printer"]),
        other => panic!("expected a question, got {other:?}"),
    }
}

/// A request for help doing something gets a guide; the same device reported broken, its
/// troubleshooting.
#[test]
fn requests_get_guides_and_faults_get_steps() {
    let pairs = [
        ("quiero instalar la impresora", "printer_setup", "la impresora no imprime", "printer"),
        ("como configuro el router", "router_setup", "el router no anda", "internet"),
        ("como paso las fotos del celu a la compu", "phone_transfer", "el celu no carga", "phone_charging"),
        ("how do i set up my printer", "printer_setup", "my printer doesn't print", "printer"),
    ];
    for (task, guide, fault, steps) in pairs {
        assert_eq!(classify(task), Classification::Category(guide), "{task:?}: {:?}", scores(task));
        assert_eq!(classify(fault), Classification::Category(steps), "{fault:?}: {:?}", scores(fault));
    }
}

#[test]
fn a_vowel_typed_over_and_over_is_one_vowel() {
    assert_eq!(classify("la compu anda leeenta"), Classification::Category("slow"));
    assert_eq!(collapse_runs("pppoe".into()), "pppoe", "consonants are left as they are");
    assert_eq!(collapse_runs("nooo".into()), "no");
    assert_eq!(collapse_runs("canción".into()), "canción");
}

#[test]
fn ties_become_ambiguous_choices() {
    match classify("sonido y pantalla") {
        Classification::Ambiguous(ids) => {
            assert!(ids.contains(&"sound") && ids.contains(&"display"), "{ids:?}");
        }
        other => panic!("expected ambiguous, got {other:?}"),
    }
}

#[test]
fn keyword_phrases_allow_one_word_between() {
    let keyword = Keyword::parse("enciende pantalla");
    assert!(keyword.matches(&words("no enciende la pantalla")));
    assert!(!keyword.matches(&words("no enciende, y la otra pantalla")));
    let stem = Keyword::parse("imprim*");
    assert!(stem.matches(&words("no imprimía nada")));
}
