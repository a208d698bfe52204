//! The devices people name, typos and regional words included, and the categories each
//! one's trouble (or task) can be: a named device decides the family, the symptom picks
//! the category inside it — unless the message says the whole computer is stuck.

use std::sync::LazyLock;

use super::{Keyword, Message};

struct Device {
    words: &'static [&'static str],
    /// The family's categories; the first of each kind is what a message naming the device
    /// gets when no category of the family matched its words.
    categories: &'static [&'static str],
}

const DEVICES: &[Device] = &[
    Device {
        words: &[
            "mouse",
            "mause",
            "=maus",
            "=raton",
            "teclado",
            "teclaco",
            "touchpad",
            "touch pad",
            "panel tactil",
            "joystick",
            "joistick",
            "yoystick",
            "gamepad",
            "joycon",
            "keyboard",
            "trackpad",
        ],
        categories: &["input"],
    },
    Device {
        words: &["impresora", "=impre", "multifuncion", "escaner", "printer", "scanner"],
        categories: &["printer", "printer_setup"],
    },
    Device { words: &["monitor", "pamtaya", "pantaya"], categories: &["display"] },
    Device {
        words: &[
            "parlante",
            "parlantes",
            "bafle",
            "bafles",
            "auricular",
            "auriculares",
            "microfono",
            "headphones",
            "headset",
            "speakers",
            "earbuds",
            "microphone",
        ],
        categories: &["sound"],
    },
    Device { words: &["cargador", "charger"], categories: &["battery", "phone_charging"] },
    Device {
        words: &["router", "ruter", "modem", "repetidor", "extensor wifi"],
        categories: &["internet", "router_setup"],
    },
    Device {
        words: &[
            "celular",
            "=celu",
            "=cel",
            "telefono",
            "movil",
            "smartphone",
            "iphone",
            "android",
            "phone",
            "cellphone",
            "samsung galaxy",
            "motorola",
        ],
        categories: &["phone", "phone_charging", "phone_transfer", "phone_email"],
    },
    Device {
        words: &[
            "=tele",
            "televisor",
            "=tv",
            "smart tv",
            "tv stick",
            "fire tv",
            "fire stick",
            "firestick",
            "chromecast",
            "tv box",
            "google tv",
            "android tv",
        ],
        categories: &["tv_apps", "internet"],
    },
    Device { words: &["webcam", "web cam", "=camara", "=camarita", "=camera"], categories: &["camera"] },
    Device {
        words: &["pendrive", "pen drive", "disco externo", "memoria usb", "usb stick", "flash drive", "external drive"],
        categories: &["usb_drive", "backup", "files"],
    },
];

/// Words for the whole computer (or all of it at once): with one of these, "stuck" is
/// about the computer, not the device also named.
const WHOLE_COMPUTER: &[&str] = &[
    "compu",
    "kompu",
    "computadora",
    "computador",
    "pc",
    "notebook",
    "laptop",
    "netbook",
    "equipo",
    "maquina",
    "windows",
    "pantalla",
    "todo",
    "nada",
    "computer",
    "desktop",
    "nothing",
    "everything",
];

/// The computer as a whole stopped responding.
const STUCK: &[&str] = &[
    "se colg*",
    "colgad*",
    "se cuelg*",
    "se tild*",
    "tildad*",
    "se congel*",
    "congelad*",
    "trabad*",
    "se trabo",
    "froze",
    "frozen",
    "freez*",
    "hangs",
    "hung",
    "not responding",
];

struct Compiled {
    devices: Vec<(Vec<Keyword>, &'static [&'static str])>,
    whole_computer: Vec<Keyword>,
    stuck: Vec<Keyword>,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let parse = |words: &[&str]| words.iter().map(|w| Keyword::parse(w)).collect::<Vec<_>>();
    Compiled {
        devices: DEVICES.iter().map(|d| (parse(d.words), d.categories)).collect(),
        whole_computer: parse(WHOLE_COMPUTER),
        stuck: parse(STUCK),
    }
});

fn any(keywords: &[Keyword], message: &Message) -> bool {
    keywords.iter().any(|k| k.find(message).is_some())
}

/// The category families of the devices the message names, in the order of the lexicon;
/// none when it names none, or says the whole computer is stuck ("se colgó la compu y el
/// mouse no se mueve" is about the computer).
pub(super) fn families(message: &Message) -> Vec<&'static [&'static str]> {
    let c = &*COMPILED;
    let named: Vec<&'static [&'static str]> =
        c.devices.iter().filter(|(words, _)| any(words, message)).map(|(_, family)| *family).collect();
    if named.is_empty() || (any(&c.stuck, message) && any(&c.whole_computer, message)) {
        return Vec::new();
    }
    named
}

/// Whether every named device's family shares a category with the others'.
pub(super) fn share_any(families: &[&'static [&'static str]]) -> bool {
    families.split_first().is_some_and(|(first, rest)| first.iter().any(|id| rest.iter().all(|f| f.contains(id))))
}

/// The categories the named devices allow: those every device shares, else any device's.
pub(super) fn allowed(families: &[&'static [&'static str]]) -> Vec<&'static str> {
    let Some((first, rest)) = families.split_first() else { return Vec::new() };
    let shared: Vec<&'static str> = first.iter().copied().filter(|id| rest.iter().all(|f| f.contains(id))).collect();
    if !shared.is_empty() {
        return shared;
    }
    let mut union: Vec<&'static str> = Vec::new();
    for id in families.iter().flat_map(|f| f.iter().copied()) {
        if !union.contains(&id) {
            union.push(id);
        }
    }
    union
}
