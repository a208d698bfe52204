//! Whether the visitor asks for help doing something ("quiero instalar…", "how do I set
//! up…") or reports something broken ("no anda", "won't turn on"): the first is answered
//! with a guide, the second with troubleshooting steps.

use std::sync::LazyLock;

use super::index::Indexed;
use super::keyword::Message;

/// What the visitor is after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Want {
    /// Help doing something: a guide.
    Task,
    /// Something broken: troubleshooting.
    Fix,
    /// Both or neither said: the words decide.
    Either,
}

/// Ways to open a request, read within the first words.
const OPENINGS: &[&str] = &[
    "quiero",
    "quisiera",
    "necesito",
    "como",
    "donde",
    "me ayudas",
    "me ayudarias",
    "ayudame",
    "me podes ayudar",
    "podrias ayudarme",
    "me gustaria",
    "i want",
    "i wanna",
    "i need",
    "i'd like",
    "id like",
    "how",
    "where",
    "help me",
    "can you help",
    "could you help",
];

/// How far into the message an opening may sit ("hola, quiero…", "buenas! como…").
const OPENING_WITHIN: usize = 3;

/// Ways of asking how, anywhere in the message.
const HOW: &[&str] =
    &["no se como", "no se configurar", "no se instalar", "no se usar", "how do i", "how to", "how can i"];

/// Ways of saying something is broken.
const FAULTS: &[&str] = &[
    "no anda",
    "no funciona",
    "no me anda",
    "no me funciona",
    "no prende",
    "no enciende",
    "no arranca",
    "no imprime",
    "no carga",
    "no conecta",
    "no se conecta",
    "no responde",
    "no abre",
    "no suena",
    "no se escucha",
    "no escribe",
    "no se mueve",
    "no aparece",
    "no detecta",
    "no reconoce",
    "no lee",
    "no puedo",
    "no me deja",
    "no tengo",
    "no hay",
    "no me llegan",
    "dejo de",
    "se colgo",
    "se tildo",
    "se corta",
    "error",
    "falla",
    "fallando",
    "roto",
    "rota",
    "se rompio",
    "lento",
    "lenta",
    "doesn't",
    "doesnt",
    "don't work",
    "isn't",
    "isnt",
    "won't",
    "wont",
    "can't",
    "cant",
    "not working",
    "stopped",
    "broken",
    "keeps",
    "no longer",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Said {
    Opening,
    How,
    Fault,
}

static COMPILED: LazyLock<Indexed<Said>> = LazyLock::new(|| {
    let tagged = |list: &'static [&'static str], said: Said| list.iter().map(move |w| (*w, said));
    Indexed::parse(tagged(OPENINGS, Said::Opening).chain(tagged(HOW, Said::How)).chain(tagged(FAULTS, Said::Fault)))
});

pub(super) fn want(message: &Message) -> Want {
    let (mut asks, mut broken) = (false, false);
    for (_, said, at) in COMPILED.matches(message) {
        match said {
            Said::Opening => asks |= at[0] < OPENING_WITHIN,
            Said::How => asks = true,
            Said::Fault => broken = true,
        }
    }
    match (asks, broken) {
        (true, false) => Want::Task,
        (false, true) => Want::Fix,
        _ => Want::Either,
    }
}
