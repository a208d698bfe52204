//! Everything the bot says, in Rioplatense Spanish (vos) and English.

use super::kb::Category;
use super::names::RejectReason;
use super::{Locale, QuickReply};
use crate::images::ImageHint;

/// What the greeting promises about the visitor's data.
#[derive(Debug, Clone, Copy)]
pub struct PrivacyTerms {
    pub session_hours: u64,
    pub upload_days: u64,
    pub ticket_days: u64,
    /// How long backups keep erased data, where the deployment has them.
    pub backup_days: Option<u64>,
}

fn opt(text: &str, value: &str) -> QuickReply {
    QuickReply { text: text.to_owned(), value: value.to_owned() }
}

/// ", Ana" when we know the name, nothing otherwise.
fn with_name(name: Option<&str>) -> String {
    name.map(|n| format!(", {n}")).unwrap_or_default()
}

pub fn greeting(locale: Locale, terms: PrivacyTerms) -> String {
    let PrivacyTerms { session_hours, upload_days, ticket_days, backup_days } = terms;
    let backups_es = backup_days
        .map(|d| format!(" Lo que borres sigue en nuestras copias de seguridad hasta {d} días y después desaparece."))
        .unwrap_or_default();
    let backups_en = backup_days
        .map(|d| format!(" What you erase stays in our backups for up to {d} days, then it is gone."))
        .unwrap_or_default();
    match locale {
        Locale::Es => format!(
            "¡Hola! 👋 Soy el asistente de soporte técnico de STI y te voy a ayudar con tu equipo.\n\n\
             🔒 Privacidad: guardamos esta conversación, con tus datos personales enmascarados, hasta {session_hours} horas \
             después de tu último mensaje; las imágenes, {upload_days} días, y los tickets, {ticket_days} días. \
             Podés descargar o borrar tus datos cuando quieras.{backups_es} No compartas contraseñas ni códigos de \
             acceso remoto por acá.\n\n¿Cómo te llamás?"
        ),
        Locale::En => format!(
            "Hi! 👋 I'm STI's tech-support assistant and I'll help you with your device.\n\n\
             🔒 Privacy: we keep this conversation, with your personal data masked, for up to {session_hours} hours \
             after your last message; images for {upload_days} days and tickets for {ticket_days} days. \
             You can download or erase your data at any time.{backups_en} Don't share passwords or remote-access codes \
             here.\n\nWhat's your name?"
        ),
    }
}

/// Said once a visitor typed a password, a PIN or a remote-access code (masked before
/// anything stored it).
pub fn never_share_secrets(locale: Locale) -> &'static str {
    match locale {
        Locale::Es => {
            "🔐 Por tu seguridad, no compartas contraseñas, PIN ni códigos de acceso remoto por el chat (ya los ocultamos). \
             Si hace falta, un técnico te los va a pedir por teléfono."
        }
        Locale::En => {
            "🔐 For your safety, don't share passwords, PINs or remote-access codes in the chat (we've hidden it). \
             If needed, a technician will ask for them by phone."
        }
    }
}

pub fn decline_name_option(locale: Locale) -> QuickReply {
    match locale {
        Locale::Es => opt("Prefiero no decirlo", "skip_name"),
        Locale::En => opt("I'd rather not say", "skip_name"),
    }
}

pub fn name_rejected(locale: Locale, reason: RejectReason) -> String {
    use RejectReason::*;
    match (locale, reason) {
        (Locale::Es, Greeting) => "¡Hola! 😊 ¿Cómo te llamás? (por ejemplo: \"Soy Ana\")".into(),
        (Locale::Es, HasDigits) => "Eso parece un número 🙂 No necesito datos personales, solo tu nombre. ¿Cómo te llamás?".into(),
        (Locale::Es, Email) => "Por privacidad no necesito tu correo 🙂 ¿Cómo te llamo?".into(),
        (Locale::Es, Rude) => "Prefiero que mantengamos la buena onda 🙂 ¿Cómo te llamás?".into(),
        (Locale::Es, DontKnow | NotAName) => {
            "No estoy seguro de haber entendido tu nombre. ¿Cómo te llamás? Si preferís no decirlo, tocá \"Prefiero no decirlo\".".into()
        }
        (Locale::En, Greeting) => "Hi! 😊 What's your name? (for example: \"I'm Ann\")".into(),
        (Locale::En, HasDigits) => "That looks like a number 🙂 I don't need personal data, just your name. What should I call you?".into(),
        (Locale::En, Email) => "For privacy I don't need your email 🙂 What should I call you?".into(),
        (Locale::En, Rude) => "Let's keep it friendly 🙂 What's your name?".into(),
        (Locale::En, DontKnow | NotAName) => {
            "I'm not sure I got your name. What should I call you? If you'd rather not say, tap \"I'd rather not say\".".into()
        }
    }
}

pub fn ask_problem(locale: Locale, name: Option<&str>) -> String {
    match (locale, name) {
        (Locale::Es, Some(n)) => {
            format!("¡Un gusto, {n}! Contame qué problema tenés con tu equipo (qué pasa y desde cuándo) o qué necesitás hacer, y te guío.")
        }
        (Locale::Es, None) => {
            "No hay problema, sigamos. Contame qué problema tenés con tu equipo (qué pasa y desde cuándo) o qué necesitás hacer, y te guío.".into()
        }
        (Locale::En, Some(n)) => {
            format!("Nice to meet you, {n}! Tell me what's wrong with your device (what happens and since when) or what you need to get done, and I'll guide you.")
        }
        (Locale::En, None) => {
            "No problem, let's go on. Tell me what's wrong with your device (what happens and since when) or what you need to get done, and I'll guide you.".into()
        }
    }
}

pub fn problem_shortcuts(locale: Locale) -> Vec<QuickReply> {
    ["slow", "internet", "printer", "power"]
        .iter()
        .filter_map(|id| super::kb::category(id))
        .map(|c| category_option(locale, c))
        .collect()
}

pub fn category_option(locale: Locale, category: &Category) -> QuickReply {
    let title = category.title(locale);
    QuickReply { text: super::capitalize_sentence(title), value: format!("cat:{}", category.id) }
}

pub fn other_option(locale: Locale) -> QuickReply {
    match locale {
        Locale::Es => opt("Otro", "other"),
        Locale::En => opt("Something else", "other"),
    }
}

pub fn clarify(locale: Locale, name: Option<&str>, ambiguous: bool) -> String {
    let n = with_name(name);
    match (locale, ambiguous) {
        (Locale::Es, false) => {
            format!("Te ayudo{n}. ¿Me contás un poco más? Elegí con qué tiene que ver o describilo con tus palabras.")
        }
        (Locale::Es, true) => format!("Entiendo{n}. ¿Con cuál de estos tiene que ver más?"),
        (Locale::En, false) => format!(
            "I'll help you{n}. Could you tell me a bit more? Pick what it's about or describe it in your own words."
        ),
        (Locale::En, true) => format!("Got it{n}. Which of these is it mostly about?"),
    }
}

pub fn describe_freely(locale: Locale) -> String {
    match locale {
        Locale::Es => {
            "Dale, contame con tus palabras qué pasa: qué estabas haciendo, qué ves en pantalla y desde cuándo.".into()
        }
        Locale::En => {
            "Sure, tell me in your own words: what you were doing, what you see on screen and since when.".into()
        }
    }
}

pub fn steps(locale: Locale, category: &Category, round: u8, steps: &[impl AsRef<str>]) -> String {
    let numbered =
        steps.iter().enumerate().map(|(i, s)| format!("{}. {}", i + 1, s.as_ref())).collect::<Vec<_>>().join("\n");
    let general = category.id == super::kb::GENERAL.id;
    if category.kind == super::kb::Kind::Guide {
        return guide(locale, category, round, &numbered);
    }
    match (locale, round, general) {
        (Locale::Es, 1, false) => {
            format!(
                "{}: probemos esto.\n\n{numbered}\n\n¿Se solucionó?",
                super::capitalize_sentence(category.title(locale))
            )
        }
        (Locale::Es, 1, true) => format!(
            "No encontré tu problema entre los más comunes, pero probemos esto:\n\n{numbered}\n\nSi no se soluciona, te paso con un técnico. ¿Se solucionó?"
        ),
        (Locale::Es, _, _) => format!("Vamos con otros pasos:\n\n{numbered}\n\n¿Y ahora, se solucionó?"),
        (Locale::En, 1, false) => {
            format!(
                "{}: let's try this.\n\n{numbered}\n\nDid that fix it?",
                super::capitalize_sentence(category.title(locale))
            )
        }
        (Locale::En, 1, true) => format!(
            "I couldn't match your problem to the common ones, but let's try this:\n\n{numbered}\n\nIf it doesn't help, I'll put you through to a technician. Did that fix it?"
        ),
        (Locale::En, _, _) => format!("Let's try some other steps:\n\n{numbered}\n\nDid that fix it?"),
    }
}

pub fn solved_options(locale: Locale) -> Vec<QuickReply> {
    match locale {
        Locale::Es => vec![opt("Sí", "yes"), opt("No", "no"), opt("Hablar con un técnico", "tech")],
        Locale::En => vec![opt("Yes", "yes"), opt("No", "no"), opt("Talk to a technician", "tech")],
    }
}

/// A task, step by step: the same buttons ("Sí", "No", "Hablar con un técnico") answer
/// whether it worked.
fn guide(locale: Locale, category: &Category, round: u8, numbered: &str) -> String {
    let title = super::capitalize_sentence(category.title(locale));
    match (locale, round) {
        (Locale::Es, 1) => format!("{title}: te guío paso a paso.\n\n{numbered}\n\n¿Pudiste hacerlo?"),
        (Locale::Es, _) => format!("Probemos de otra forma:\n\n{numbered}\n\n¿Y ahora, pudiste?"),
        (Locale::En, 1) => format!("{title}: here's how, step by step.\n\n{numbered}\n\nDid it work?"),
        (Locale::En, _) => format!("Let's try another way:\n\n{numbered}\n\nDid it work now?"),
    }
}

pub fn steps_reask(locale: Locale) -> String {
    match locale {
        Locale::Es => "¿Pudiste probar los pasos? ¿Se solucionó? Si preferís, te paso con un técnico.".into(),
        Locale::En => {
            "Did you get to try the steps? Did that fix it? If you prefer, I can put you through to a technician."
                .into()
        }
    }
}

pub fn solved(locale: Locale, name: Option<&str>) -> String {
    let n = with_name(name);
    match locale {
        Locale::Es => format!("¡Excelente{n}! 🎉 Me alegra que se haya solucionado. Si necesitás algo más, escribime."),
        Locale::En => format!("Excellent{n}! 🎉 Glad it's fixed. If you need anything else, just write."),
    }
}

pub fn another_problem_option(locale: Locale) -> QuickReply {
    match locale {
        Locale::Es => opt("Tengo otro problema", "restart"),
        Locale::En => opt("I have another problem", "restart"),
    }
}

pub fn anything_else(locale: Locale) -> String {
    match locale {
        Locale::Es => {
            "¿Hay algo más en lo que te pueda ayudar? Contame el problema o tocá \"Tengo otro problema\".".into()
        }
        Locale::En => {
            "Is there anything else I can help with? Describe the problem or tap \"I have another problem\".".into()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferReason {
    StepsFailed,
    Asked,
    Unknown,
}

pub fn offer_ticket(locale: Locale, name: Option<&str>, reason: OfferReason) -> String {
    let n = with_name(name);
    match (locale, reason) {
        (Locale::Es, OfferReason::StepsFailed) => format!(
            "Lamento que siga igual{n}. ¿Querés que cree un ticket para que un técnico te atienda por WhatsApp? Le paso el resumen de lo que probaste."
        ),
        (Locale::Es, OfferReason::Asked) => {
            format!("Claro{n}, te paso con un técnico. ¿Creo el ticket con el resumen de la conversación?")
        }
        (Locale::Es, OfferReason::Unknown) => {
            format!("Para esto conviene que lo vea un técnico{n}. ¿Creo un ticket y te paso el enlace de WhatsApp?")
        }
        (Locale::En, OfferReason::StepsFailed) => format!(
            "Sorry it's still not working{n}. Shall I open a ticket so a technician helps you on WhatsApp? I'll pass on a summary of what you tried."
        ),
        (Locale::En, OfferReason::Asked) => {
            format!("Sure{n}, I'll put you through to a technician. Shall I open a ticket with a summary of our chat?")
        }
        (Locale::En, OfferReason::Unknown) => {
            format!("A technician should look at this{n}. Shall I open a ticket and give you the WhatsApp link?")
        }
    }
}

pub fn ticket_options(locale: Locale) -> Vec<QuickReply> {
    match locale {
        Locale::Es => vec![opt("Sí, crear ticket", "ticket"), opt("No, gracias", "no_ticket")],
        Locale::En => vec![opt("Yes, open a ticket", "ticket"), opt("No, thanks", "no_ticket")],
    }
}

pub fn ticket_declined(locale: Locale) -> String {
    match locale {
        Locale::Es => "Dale. Si cambiás de idea, escribí \"técnico\". ¿Te ayudo con otra cosa?".into(),
        Locale::En => "Okay. If you change your mind, just type \"technician\". Can I help with anything else?".into(),
    }
}

pub fn after_decline_options(locale: Locale) -> Vec<QuickReply> {
    match locale {
        Locale::Es => vec![opt("Crear ticket", "ticket"), opt("Tengo otro problema", "restart")],
        Locale::En => vec![opt("Open a ticket", "ticket"), opt("I have another problem", "restart")],
    }
}

pub fn offer_reask(locale: Locale) -> String {
    match locale {
        Locale::Es => "¿Creo el ticket para que te contacte un técnico por WhatsApp?".into(),
        Locale::En => "Shall I open the ticket so a technician contacts you on WhatsApp?".into(),
    }
}

/// The ticket card beside this message is the link: the text says what to do with it.
pub fn ticket_opened(locale: Locale, name: Option<&str>, ticket_id: &str) -> String {
    let n = with_name(name);
    match locale {
        Locale::Es => format!(
            "Listo{n}. Creé el ticket {ticket_id} ✅\n\nTocá «Seguir por WhatsApp» para hablar con un técnico: el mensaje ya lleva el número de ticket. Guardá el número por si lo necesitás."
        ),
        Locale::En => format!(
            "Done{n}. I opened ticket {ticket_id} ✅\n\nTap «Continue on WhatsApp» to talk to a technician: the message already carries the ticket number. Keep the number in case you need it."
        ),
    }
}

/// The label of a quick-reply value, as the bot offers it in `locale` (for a transcript
/// line when the offer itself is not known).
pub fn button_label(locale: Locale, value: &str) -> Option<String> {
    if let Some(category) = value.strip_prefix("cat:").and_then(super::kb::category) {
        return Some(category_option(locale, category).text);
    }
    [solved_options(locale), ticket_options(locale), after_decline_options(locale)]
        .into_iter()
        .flatten()
        .chain([another_problem_option(locale), decline_name_option(locale), other_option(locale)])
        .find(|o| o.value == value)
        .map(|o| o.text)
}

pub fn ticket_reminder(locale: Locale, ticket_id: &str) -> String {
    match locale {
        Locale::Es => format!(
            "Tu ticket {ticket_id} ya está creado y un técnico lo va a ver por WhatsApp. ¿Querés contarme otro problema?"
        ),
        Locale::En => format!(
            "Your ticket {ticket_id} is open and a technician will pick it up on WhatsApp. Want to tell me about another problem?"
        ),
    }
}

pub fn ticket_unavailable(locale: Locale) -> String {
    match locale {
        Locale::Es => "Ya se crearon varios tickets desde esta conversación en la última hora. Esperá un rato, o escribinos por WhatsApp con el número de ticket que ya tenés.".into(),
        Locale::En => "Several tickets were already opened from this chat in the last hour. Please wait a while, or message us on WhatsApp with the ticket number you already have.".into(),
    }
}

pub fn restarted(locale: Locale, name: Option<&str>) -> String {
    let n = with_name(name);
    match locale {
        Locale::Es => format!("Empecemos de nuevo{n}. Contame qué problema tenés."),
        Locale::En => format!("Let's start over{n}. Tell me what the problem is."),
    }
}

/// The bot's note about an analysed image; `seen` is what a vision model read on it.
pub fn image_note(locale: Locale, hint: Option<ImageHint>, width: u32, height: u32, seen: Option<&str>) -> String {
    let seen = seen.map(|d| d.trim().trim_end_matches('.')).filter(|d| !d.is_empty());
    let seen = match (locale, seen) {
        (_, None) => String::new(),
        (Locale::Es, Some(d)) => format!(" Veo: {d}."),
        (Locale::En, Some(d)) => format!(" I can see: {d}."),
    };
    match (locale, hint) {
        (Locale::Es, None) if seen.is_empty() => {
            format!("📷 Recibí tu imagen ({width}×{height}); la sumo al ticket si hace falta.")
        }
        (Locale::Es, None) => format!("📷 Recibí tu imagen ({width}×{height}).{seen} La sumo al ticket si hace falta."),
        (Locale::Es, Some(h)) => format!("📷 Recibí tu imagen.{seen} {}", hint_text(locale, h)),
        (Locale::En, None) if seen.is_empty() => {
            format!("📷 Got your image ({width}×{height}); I'll add it to the ticket if needed.")
        }
        (Locale::En, None) => {
            format!("📷 Got your image ({width}×{height}).{seen} I'll add it to the ticket if needed.")
        }
        (Locale::En, Some(h)) => format!("📷 Got your image.{seen} {}", hint_text(locale, h)),
    }
}

pub fn hint_text(locale: Locale, hint: ImageHint) -> &'static str {
    match (locale, hint) {
        (Locale::Es, ImageHint::TooDark) => "La foto está muy oscura, ¿podés sacar otra con más luz?",
        (Locale::Es, ImageHint::TooBright) => "La foto está muy clara o con reflejos, ¿podés sacar otra sin reflejo?",
        (Locale::Es, ImageHint::Blurry) => {
            "La foto está borrosa, ¿podés sacar otra con el celular quieto y enfocando la pantalla?"
        }
        (Locale::Es, ImageHint::TooSmall) => {
            "La imagen es muy chica para ver detalles, ¿podés mandar una captura más grande?"
        }
        (Locale::En, ImageHint::TooDark) => "The photo is very dark, could you take another one with more light?",
        (Locale::En, ImageHint::TooBright) => {
            "The photo is washed out or has glare, could you take another without reflections?"
        }
        (Locale::En, ImageHint::Blurry) => {
            "The photo is blurry, could you take another holding the phone still and focusing on the screen?"
        }
        (Locale::En, ImageHint::TooSmall) => {
            "The image is too small to see details, could you send a bigger screenshot?"
        }
    }
}
