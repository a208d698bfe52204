//! The devices people name, typos and regional words included, and the categories each
//! one's trouble (or task) can be: a named device decides the family, the symptom picks
//! the category inside it — unless the message says the whole computer is stuck.

use std::sync::LazyLock;

use super::index::Indexed;
use super::keyword::Message;

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
    /// Every device's words, tagged with the device's place in `DEVICES`.
    devices: Indexed<u8>,
    whole_computer: Indexed<()>,
    stuck: Indexed<()>,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let words = DEVICES.iter().enumerate().flat_map(|(i, d)| {
        let tag = u8::try_from(i).unwrap_or(u8::MAX);
        d.words.iter().map(move |w| (*w, tag))
    });
    Compiled {
        devices: Indexed::parse(words),
        whole_computer: Indexed::parse(WHOLE_COMPUTER.iter().map(|w| (*w, ()))),
        stuck: Indexed::parse(STUCK.iter().map(|w| (*w, ()))),
    }
});

/// The category families of the devices the message names, in the order of the lexicon;
/// none when it names none, or says the whole computer is stuck ("se colgó la compu y el
/// mouse no se mueve" is about the computer).
pub(super) fn families(message: &Message) -> Vec<&'static [&'static str]> {
    let c = &*COMPILED;
    let mut named: Vec<u8> = c.devices.matches(message).map(|(_, device, _)| device).collect();
    if named.is_empty() || (c.stuck.any(message) && c.whole_computer.any(message)) {
        return Vec::new();
    }
    named.sort_unstable();
    named.dedup();
    named.iter().filter_map(|&i| DEVICES.get(usize::from(i))).map(|d| d.categories).collect()
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
