//! What we ask the model, built only from masked text, and the checks its answers must
//! pass before a visitor sees them.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::chat::Locale;
use crate::pii::mask_pii;

const MIN_STEPS: usize = 3;
const MAX_STEPS: usize = 6;
const MAX_STEP_CHARS: usize = 400;
const MAX_DESCRIPTION_CHARS: usize = 600;

fn system_steps(locale: Locale) -> &'static str {
    match locale {
        Locale::Es => {
            "Sos un técnico de soporte informático de Argentina. Respondés en español rioplatense, con voseo, \
             claro y amable. Proponé entre 3 y 6 pasos concretos, seguros y en orden para que una persona sin \
             conocimientos técnicos resuelva el problema, empezando por lo más simple. Nada de pedir datos \
             personales, contraseñas ni pagos, ni de instalar programas de sitios no oficiales. Respondé SOLO con \
             un objeto JSON de la forma {\"steps\": [\"paso 1\", \"paso 2\", ...]}."
        }
        Locale::En => {
            "You are a computer tech-support technician. Answer in plain, friendly English. Propose 3 to 6 \
             concrete, safe steps, in order, so that a non-technical person can fix the problem, simplest first. \
             Never ask for personal data, passwords or payments, nor to install software from unofficial sites. \
             Answer ONLY with a JSON object of the form {\"steps\": [\"step 1\", \"step 2\", ...]}."
        }
    }
}

/// The request for steps. `problem` and `tried` must already be masked; they are masked
/// again here so that no caller can leak personal data by mistake.
pub fn steps_messages(locale: Locale, title: &str, problem: Option<&str>, round: u8, tried: &[String]) -> Value {
    let problem = mask_pii(problem.unwrap_or(""));
    let mut user = match locale {
        Locale::Es => format!("Categoría: {title}.\nLo que contó la persona: «{problem}»."),
        Locale::En => format!("Category: {title}.\nWhat the person said: \"{problem}\"."),
    };
    if round > 1 && !tried.is_empty() {
        let list = tried.iter().map(|t| format!("- {}", mask_pii(t))).collect::<Vec<_>>().join("\n");
        user.push_str(&match locale {
            Locale::Es => format!("\nYa probó esto sin éxito; proponé otros pasos distintos:\n{list}"),
            Locale::En => format!("\nThey already tried this without success; propose different steps:\n{list}"),
        });
    }
    json!([
        { "role": "system", "content": system_steps(locale) },
        { "role": "user", "content": user },
    ])
}

#[derive(Deserialize)]
struct StepsAnswer {
    steps: Vec<String>,
}

/// "1. Reiniciá" → "Reiniciá"; "- Reiniciá" → "Reiniciá".
fn strip_numbering(step: &str) -> &str {
    let trimmed = step.trim();
    let without_digits = trimmed.trim_start_matches(|c: char| c.is_ascii_digit());
    let rest = if without_digits.len() < trimmed.len() {
        without_digits.trim_start_matches(['.', ')', ':'])
    } else {
        trimmed.trim_start_matches(['-', '*', '•'])
    };
    rest.trim()
}

/// The steps in a model's answer, or why they cannot be shown.
pub fn parse_steps(content: &str) -> Result<Vec<String>, String> {
    let answer: StepsAnswer =
        serde_json::from_str(content.trim()).map_err(|e| format!("not the expected JSON: {e}"))?;
    let steps: Vec<String> = answer
        .steps
        .iter()
        .map(|s| strip_numbering(s).chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|s| !s.is_empty())
        .collect();
    if !(MIN_STEPS..=MAX_STEPS).contains(&steps.len()) {
        return Err(format!("{} steps; {MIN_STEPS} to {MAX_STEPS} are needed", steps.len()));
    }
    if let Some(long) = steps.iter().find(|s| s.chars().count() > MAX_STEP_CHARS) {
        return Err(format!("a step of {} characters", long.chars().count()));
    }
    if steps.iter().any(|s| carries_link(s)) {
        return Err("a step carries a link".into());
    }
    // The model could echo or invent personal data; nothing unmasked goes out.
    Ok(steps.iter().map(|s| mask_pii(s)).collect())
}

/// Top-level domains a made-up link would use; file extensions ("setup.exe",
/// "config.ini") are not among them.
const LINK_TLDS: &[&str] = &[
    "com", "net", "org", "info", "io", "co", "ar", "es", "me", "ly", "app", "dev", "xyz", "site", "online", "top",
    "link", "click", "biz", "us", "uk", "de", "ru", "cn", "tk", "ml", "ga", "cf", "gq", "to", "gg", "ai", "tv", "cc",
    "ws", "live", "shop", "store", "win", "download", "mx", "cl", "uy", "br", "pe", "fr", "it", "eu", "gov", "edu",
];

/// A step that sends the visitor somewhere: a URL, "www.…", or a bare domain ("descargá
/// el driver de drivers-gratis.com").
fn carries_link(step: &str) -> bool {
    let lower = step.to_lowercase();
    if lower.contains("://") || lower.contains("www.") {
        return true;
    }
    lower.split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '-')).any(|token| {
        let token = token.trim_matches(['.', '-']);
        let labels: Vec<&str> = token.split('.').collect();
        labels.len() >= 2
            && labels.iter().all(|l| !l.is_empty())
            && labels[0].chars().any(char::is_alphabetic)
            && labels.last().is_some_and(|tld| LINK_TLDS.contains(tld))
    })
}

pub fn vision_messages(locale: Locale, data_url: &str) -> Value {
    let instruction = match locale {
        Locale::Es => {
            "Esta es una captura o foto que mandó una persona a soporte técnico. Describí en una o dos oraciones \
             qué se ve, y si hay un mensaje de error copiá su texto exacto. No transcribas datos personales. \
             Respondé SOLO con JSON: {\"description\": \"...\", \"errorText\": \"...\" o null}."
        }
        Locale::En => {
            "This is a screenshot or photo someone sent to tech support. Describe in one or two sentences what it \
             shows, and if there is an error message copy its exact text. Do not transcribe personal data. Answer \
             ONLY with JSON: {\"description\": \"...\", \"errorText\": \"...\" or null}."
        }
    };
    json!([{
        "role": "user",
        "content": [
            { "type": "text", "text": instruction },
            { "type": "image_url", "image_url": { "url": data_url } },
        ],
    }])
}

#[derive(Deserialize)]
struct VisionAnswer {
    description: String,
    #[serde(rename = "errorText", default)]
    error_text: Option<String>,
}

/// (description, error text) from a vision answer, masked.
pub fn parse_description(content: &str) -> Result<(String, Option<String>), String> {
    let answer: VisionAnswer =
        serde_json::from_str(content.trim()).map_err(|e| format!("not the expected JSON: {e}"))?;
    let description = answer.description.trim();
    if description.is_empty() || description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err("an empty or overlong description".into());
    }
    let error_text = answer.error_text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).map(|t| mask_pii(&t));
    Ok((mask_pii(description), error_text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_hold_no_raw_pii() {
        let messages = steps_messages(
            Locale::Es,
            "la impresora no imprime",
            Some("no imprime, mi mail es ana@example.com y mi cel 11 4567-8901"),
            2,
            &["Llamame al 11 4567-8901".into()],
        );
        let text = messages.to_string();
        assert!(!text.contains("ana@example.com") && !text.contains("4567-8901"), "{text}");
        assert!(text.contains("[EMAIL]") && text.contains("Ya probó"));
        assert!(steps_messages(Locale::En, "slow", None, 1, &[]).to_string().contains("Answer ONLY"));
    }

    #[test]
    fn accepts_well_formed_steps_and_cleans_them() {
        let steps =
            parse_steps(r#"{"steps": ["1. Reiniciá el router", "2) Probá otro cable", "- Llamá al 11 4567-8901"]}"#);
        assert_eq!(
            steps,
            Ok(vec!["Reiniciá el router".to_owned(), "Probá otro cable".to_owned(), "Llamá al [PHONE]".to_owned()])
        );
    }

    #[test]
    fn refuses_bad_output() {
        for bad in [
            "",
            "not json",
            r#"{"steps": []}"#,
            r#"{"steps": ["a", "b"]}"#,
            r#"{"steps": ["a", "b", "c", "d", "e", "f", "g"]}"#,
            r#"{"pasos": ["a", "b", "c"]}"#,
            r#"{"steps": ["a", "b", "visitá https://evil.example"]}"#,
            r#"{"steps": ["a", "b", "entrá a www.drivers-gratis.net"]}"#,
            r#"{"steps": ["a", "b", "descargá el driver de drivers-gratis.com"]}"#,
            r#"{"steps": ["a", "b", "abrí soporte.ejemplo.com.ar/descargas"]}"#,
            r#"["a", "b", "c"]"#,
        ] {
            assert!(parse_steps(bad).is_err(), "{bad}");
        }
        let long = format!(r#"{{"steps": ["a", "b", "{}"]}}"#, "x".repeat(500));
        assert!(parse_steps(&long).is_err());
    }

    #[test]
    fn file_names_and_versions_are_not_links() {
        let steps =
            r#"{"steps": ["Ejecutá setup.exe como administrador", "Abrí config.ini", "Instalá la versión 2.1.3"]}"#;
        assert!(parse_steps(steps).is_ok());
    }

    #[test]
    fn reads_descriptions() {
        let d =
            parse_description(r#"{"description": "Pantalla azul de Windows", "errorText": "CRITICAL_PROCESS_DIED"}"#);
        assert_eq!(d, Ok(("Pantalla azul de Windows".into(), Some("CRITICAL_PROCESS_DIED".into()))));
        assert!(parse_description(r#"{"description": ""}"#).is_err());
        assert_eq!(
            parse_description(r#"{"description": "Un router", "errorText": null}"#),
            Ok(("Un router".into(), None))
        );
    }
}
