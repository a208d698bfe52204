//! The knowledge base: common problems and common tasks, the words people use for them,
//! and two rounds of concrete steps in Rioplatense Spanish and English (`faults`,
//! `guides`).
//!
//! Keyword syntax (already folded: lowercase, no accents): `word` matches with typos,
//! `stem*` matches any word starting with the stem, and several words form a phrase that
//! must appear in order (one extra word may sit between two phrase words). A leading `!`
//! marks a keyword that settles the category on its own (the device: "celular"), a
//! leading `~` one that only hints at it (an app name: "zoom"), and `=` (after either)
//! one whose words match exactly, where a typo would make another word ("raton", "rato").

use super::Locale;

/// What a category answers: a fault to troubleshoot, or a task to guide through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Fault,
    Guide,
}

pub struct Category {
    pub id: &'static str,
    pub title_es: &'static str,
    pub title_en: &'static str,
    pub kind: Kind,
    pub keywords: &'static [&'static str],
    pub steps_es: &'static [&'static str],
    pub more_es: &'static [&'static str],
    pub steps_en: &'static [&'static str],
    pub more_en: &'static [&'static str],
}

impl Category {
    pub fn title(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Es => self.title_es,
            Locale::En => self.title_en,
        }
    }

    /// Round 1 is the first set of steps, round 2 the set for "no, sigo igual".
    pub fn steps(&self, locale: Locale, round: u8) -> &'static [&'static str] {
        match (locale, round) {
            (Locale::Es, 1) => self.steps_es,
            (Locale::Es, _) => self.more_es,
            (Locale::En, 1) => self.steps_en,
            (Locale::En, _) => self.more_en,
        }
    }
}

mod faults;
mod guides;

/// Every category of the knowledge base: the faults, then the guides (not [`GENERAL`]).
pub fn categories() -> impl Iterator<Item = &'static Category> + Clone {
    faults::FAULTS.iter().chain(guides::GUIDES)
}

pub fn category(id: &str) -> Option<&'static Category> {
    categories().chain(std::iter::once(&GENERAL)).find(|c| c.id == id)
}

/// Steps for problems that match nothing in the knowledge base.
pub static GENERAL: Category = Category {
    id: "general",
    title_es: "tu consulta",
    title_en: "your issue",
    kind: Kind::Fault,
    keywords: &[],
    steps_es: &[
        "Guardá lo que estés haciendo y reiniciá el equipo (Inicio → Reiniciar, no \"Apagar\").",
        "Desconectá y volvé a conectar los cables o accesorios relacionados con el problema.",
        "Si aparece un mensaje de error, anotalo tal cual o mandame una captura con el botón de imagen.",
        "Fijate si el problema pasa con otro programa, otro usuario u otro equipo: eso ayuda a saber dónde está la falla.",
    ],
    more_es: &[
        "Instalá las actualizaciones pendientes (Configuración → Windows Update) y reiniciá.",
        "Si el problema empezó después de instalar algo, desinstalalo desde Configuración → Aplicaciones.",
        "Probá volver a un punto de restauración anterior (buscá \"Crear un punto de restauración\" → Restaurar sistema).",
    ],
    steps_en: &[
        "Save your work and restart the computer (Start → Restart, not \"Shut down\").",
        "Unplug and reconnect the cables or accessories involved in the problem.",
        "If an error message shows up, write it down exactly or send me a screenshot with the image button.",
        "Check whether it also happens with another program, another user or another device: that tells where the fault is.",
    ],
    more_en: &[
        "Install pending updates (Settings → Windows Update) and restart.",
        "If the problem started after installing something, uninstall it from Settings → Apps.",
        "Try going back to an earlier restore point (search \"Create a restore point\" → System Restore).",
    ],
};
