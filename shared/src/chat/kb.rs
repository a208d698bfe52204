//! The knowledge base: common problems, the words people use for them, and two rounds of
//! concrete steps in Rioplatense Spanish and English.
//!
//! Keyword syntax (already folded: lowercase, no accents): `word` matches with typos,
//! `stem*` matches any word starting with the stem, and several words form a phrase that
//! must appear in order (one extra word may sit between two phrase words). A leading `!`
//! marks a keyword that settles the category on its own (the device: "celular"), a
//! leading `~` one that only hints at it (an app name: "zoom").

use super::Locale;

pub struct Category {
    pub id: &'static str,
    pub title_es: &'static str,
    pub title_en: &'static str,
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

pub fn category(id: &str) -> Option<&'static Category> {
    CATEGORIES.iter().chain(std::iter::once(&GENERAL)).find(|c| c.id == id)
}

/// Steps for problems that match nothing in the knowledge base.
pub static GENERAL: Category = Category {
    id: "general",
    title_es: "tu consulta",
    title_en: "your issue",
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

pub static CATEGORIES: &[Category] = &[
    Category {
        id: "power",
        title_es: "el equipo no enciende",
        title_en: "the computer won't turn on",
        keywords: &[
            "no enciende", "no prende", "no arranca", "no inicia", "no bootea", "no levanta",
            "no da senales", "no hace nada", "se apaga sola", "se apaga solo", "se apaga", "apagada",
            "enciende", "prende", "encender", "prender", "arrancar", "boton de encendido",
            "fuente", "luz de encendido", "won't turn on", "wont turn on", "doesn't turn on",
            "not turning on", "won't start", "wont start", "won't boot", "no power", "turn on",
            "power button", "shuts down", "shuts off", "dead",
        ],
        steps_es: &[
            "Verificá que el cable de corriente esté bien enchufado en el equipo y en la pared; probá otro enchufe o sacá la zapatilla.",
            "Si es una notebook, conectá el cargador y esperá 15 minutos antes de intentar encenderla.",
            "Mantené apretado el botón de encendido 30 segundos con todo desenchufado para descargar la energía residual; después enchufá y encendé.",
            "Desconectá todo lo que no sea indispensable (impresora, pendrives, discos externos) y probá de nuevo.",
            "Fijate si se prende alguna luz o se escucha algún ventilador: contame qué ves.",
        ],
        more_es: &[
            "Si es una PC de escritorio, revisá que la llave de la fuente (atrás, al lado del cable) esté en \"I\".",
            "Probá con otro cable de corriente o con otro cargador compatible si tenés.",
            "Si la notebook tiene batería extraíble, sacala, conectá solo el cargador y encendé.",
            "Si se prende pero la pantalla queda negra, conectá un monitor externo para ver si el problema es la pantalla.",
        ],
        steps_en: &[
            "Check the power cable is firmly plugged into the computer and the wall; try another socket or skip the power strip.",
            "If it's a laptop, plug in the charger and wait 15 minutes before trying to turn it on.",
            "With everything unplugged, hold the power button for 30 seconds to drain residual power; then plug in and turn it on.",
            "Disconnect everything that isn't essential (printer, USB drives, external disks) and try again.",
            "Check whether any light turns on or a fan spins: tell me what you see.",
        ],
        more_en: &[
            "On a desktop PC, make sure the power supply switch (at the back, next to the cable) is set to \"I\".",
            "Try another power cable or a compatible charger if you have one.",
            "If the laptop has a removable battery, take it out, connect only the charger and turn it on.",
            "If it powers on but the screen stays black, connect an external monitor to see whether the screen is the problem.",
        ],
    },
    Category {
        id: "slow",
        title_es: "el equipo anda lento",
        title_en: "the computer is slow",
        keywords: &[
            "lento", "lenta", "lentitud", "lentisima", "lentisimo", "tarda", "tarda mucho", "demora",
            "se traba", "se tilda", "tildada", "tildado", "se cuelga", "colgada", "pesada",
            "no responde", "congelada", "se congela", "100% disco", "disco al 100", "slow", "sluggish",
            "lag", "laggy", "freezes", "freezing", "hangs", "not responding", "takes forever",
        ],
        steps_es: &[
            "Reiniciá el equipo (Inicio → Reiniciar): muchas veces la lentitud viene de horas o días sin reiniciar.",
            "Abrí el Administrador de tareas (Ctrl + Shift + Esc) y ordená por CPU, Memoria y Disco: cerrá lo que esté consumiendo mucho y no uses.",
            "En el Administrador de tareas → Inicio, deshabilitá los programas que no necesitás que arranquen con Windows.",
            "Revisá que el disco tenga al menos 15 % libre (Explorador → Este equipo); si no, liberá espacio con \"Liberador de espacio en disco\".",
        ],
        more_es: &[
            "Pasá un análisis completo con Seguridad de Windows (Protección contra virus y amenazas → Opciones de examen → Examen completo).",
            "Instalá las actualizaciones pendientes de Windows y de los controladores, y reiniciá.",
            "En el navegador, cerrá pestañas que no uses y desactivá extensiones que no reconozcas.",
            "Si el disco es mecánico (HDD) y está siempre al 100 %, un técnico puede evaluar cambiarlo por uno SSD.",
        ],
        steps_en: &[
            "Restart the computer (Start → Restart): slowness often comes from hours or days without a restart.",
            "Open Task Manager (Ctrl + Shift + Esc) and sort by CPU, Memory and Disk: close whatever uses a lot and you don't need.",
            "In Task Manager → Startup, disable programs you don't need to start with Windows.",
            "Make sure the disk has at least 15% free (File Explorer → This PC); if not, free space with \"Disk Cleanup\".",
        ],
        more_en: &[
            "Run a full scan with Windows Security (Virus & threat protection → Scan options → Full scan).",
            "Install pending Windows and driver updates, then restart.",
            "In the browser, close tabs you don't use and disable extensions you don't recognise.",
            "If the disk is a hard drive (HDD) stuck at 100%, a technician can assess swapping it for an SSD.",
        ],
    },
    Category {
        id: "internet",
        title_es: "no tenés internet o Wi-Fi",
        title_en: "no internet or Wi-Fi",
        keywords: &[
            "internet", "wifi", "wi fi", "wi-fi", "red", "conexion", "conectar", "conecta", "router",
            "modem", "no navega", "sin conexion", "sin internet", "no carga las paginas",
            "no abre paginas", "se corta", "se desconecta", "senal", "fibra", "ethernet", "cable de red",
            "dns", "no tengo internet", "network", "connection", "offline", "no connection",
            "can't connect", "cant connect", "disconnects", "ip", "navegador no carga",
        ],
        steps_es: &[
            "Fijate si otros dispositivos (por ejemplo el celular) tienen internet con la misma red: así sabemos si es el equipo o el servicio.",
            "Reiniciá el router/módem: desenchufalo 30 segundos, volvé a enchufarlo y esperá 2 minutos a que se estabilicen las luces.",
            "En la compu, apagá y prendé el Wi-Fi (o desconectá y reconectá el cable de red).",
            "Olvidá la red Wi-Fi y volvé a conectarte ingresando la contraseña (Configuración → Red e Internet → Wi-Fi → Administrar redes conocidas).",
        ],
        more_es: &[
            "Ejecutá el solucionador: Configuración → Red e Internet → Configuración de red avanzada → Solucionador de problemas de red.",
            "Abrí \"Símbolo del sistema\" y ejecutá: ipconfig /flushdns, después ipconfig /release y ipconfig /renew.",
            "Acercate al router o probá con cable para descartar problemas de señal.",
            "Si ningún dispositivo tiene internet, llamá a tu proveedor (el número está en la factura) para ver si hay un corte en tu zona.",
        ],
        steps_en: &[
            "Check whether other devices (your phone, say) have internet on the same network: that tells us if it's the computer or the service.",
            "Restart the router/modem: unplug it for 30 seconds, plug it back in and wait 2 minutes for the lights to settle.",
            "On the computer, turn Wi-Fi off and on (or unplug and replug the network cable).",
            "Forget the Wi-Fi network and reconnect entering the password (Settings → Network & Internet → Wi-Fi → Manage known networks).",
        ],
        more_en: &[
            "Run the troubleshooter: Settings → Network & Internet → Advanced network settings → Network troubleshooter.",
            "Open \"Command Prompt\" and run: ipconfig /flushdns, then ipconfig /release and ipconfig /renew.",
            "Move closer to the router or try a cable to rule out signal problems.",
            "If no device has internet, call your provider (the number is on the bill) to check for an outage in your area.",
        ],
    },
    Category {
        id: "printer",
        title_es: "la impresora no imprime",
        title_en: "the printer doesn't print",
        keywords: &[
            "!impresora", "imprim*", "impresion", "escaner", "escanear", "scanner", "toner", "cartucho",
            "tinta", "atasco", "atascada", "papel trabado", "hoja trabada", "cola de impresion",
            "!printer", "print*", "scan", "ink", "paper jam", "spooler", "hp smart", "epson", "brother",
        ],
        steps_es: &[
            "Verificá que la impresora esté encendida, con papel y sin luces de error; si hay hojas trabadas, sacalas con cuidado.",
            "Apagá la impresora, esperá 30 segundos y volvé a encenderla; reiniciá también la compu.",
            "Si es por Wi-Fi, confirmá que la impresora y la compu estén en la misma red; si es por USB, probá otro puerto u otro cable.",
            "Abrí Configuración → Bluetooth y dispositivos → Impresoras, elegí tu impresora y cancelá los trabajos pendientes de la cola.",
            "Imprimí una página de prueba desde esa misma pantalla.",
        ],
        more_es: &[
            "Ejecutá el solucionador de problemas de impresora (Configuración → Sistema → Solucionar problemas → Otros → Impresora).",
            "Reiniciá el servicio de cola: Win + R → services.msc → \"Cola de impresión\" → Reiniciar.",
            "Quitá la impresora de la lista y volvé a agregarla; si pide controlador, bajalo de la página oficial del fabricante.",
            "Revisá los niveles de tinta o tóner desde el software de la impresora.",
        ],
        steps_en: &[
            "Check the printer is on, has paper and shows no error lights; if paper is jammed, remove it gently.",
            "Turn the printer off, wait 30 seconds and turn it back on; restart the computer too.",
            "If it's on Wi-Fi, make sure printer and computer are on the same network; if USB, try another port or cable.",
            "Open Settings → Bluetooth & devices → Printers, choose your printer and cancel pending jobs in the queue.",
            "Print a test page from that same screen.",
        ],
        more_en: &[
            "Run the printer troubleshooter (Settings → System → Troubleshoot → Other troubleshooters → Printer).",
            "Restart the spooler: Win + R → services.msc → \"Print Spooler\" → Restart.",
            "Remove the printer and add it again; if it asks for a driver, download it from the manufacturer's official site.",
            "Check ink or toner levels in the printer's software.",
        ],
    },
    Category {
        id: "bsod",
        title_es: "pantalla azul o errores de Windows",
        title_en: "blue screen or Windows errors",
        keywords: &[
            "pantalla azul", "bsod", "blue screen", "pantallazo azul", "error de windows", "stop code",
            "codigo de detencion", "se reinicia sola", "se reinicia solo", "reinicia solo",
            "reinicios", "reinicia sola", "critical process died", "memory management",
            "irql", "kernel", "0x*", "error critico", "windows error", "restarts by itself",
            "keeps restarting", "crash*", "no se pudo iniciar windows", "reparacion automatica",
            "automatic repair", "inaccessible boot device", "dll", "falta el archivo",
        ],
        steps_es: &[
            "Anotá el código que aparece en la pantalla azul (por ejemplo CRITICAL_PROCESS_DIED o 0x0000007E) o sacale una foto y mandámela.",
            "Desconectá los dispositivos USB que no sean teclado y mouse y reiniciá.",
            "Si empezó después de una actualización o de instalar un programa, desinstalalo desde Configuración → Aplicaciones.",
            "Abrí \"Símbolo del sistema\" como administrador y ejecutá: sfc /scannow (tarda unos minutos); después reiniciá.",
        ],
        more_es: &[
            "En el mismo Símbolo del sistema ejecutá: DISM /Online /Cleanup-Image /RestoreHealth y reiniciá.",
            "Actualizá los controladores de video, red y chipset desde la página del fabricante del equipo.",
            "Ejecutá el Diagnóstico de memoria de Windows (buscá \"mdsched\") para descartar una falla de RAM.",
            "Si Windows no llega a iniciar, entrá en Reparación automática → Opciones avanzadas → Restaurar sistema.",
        ],
        steps_en: &[
            "Write down the code on the blue screen (e.g. CRITICAL_PROCESS_DIED or 0x0000007E) or take a photo and send it to me.",
            "Unplug USB devices other than keyboard and mouse, then restart.",
            "If it started after an update or a new program, uninstall it from Settings → Apps.",
            "Open \"Command Prompt\" as administrator and run: sfc /scannow (takes a few minutes); then restart.",
        ],
        more_en: &[
            "In the same Command Prompt run: DISM /Online /Cleanup-Image /RestoreHealth and restart.",
            "Update video, network and chipset drivers from the computer manufacturer's site.",
            "Run Windows Memory Diagnostic (search \"mdsched\") to rule out faulty RAM.",
            "If Windows won't start, go to Automatic Repair → Advanced options → System Restore.",
        ],
    },
    Category {
        id: "malware",
        title_es: "virus o programas maliciosos",
        title_en: "virus or malware",
        keywords: &[
            "virus", "malware", "troyano", "ransomware", "spyware", "adware", "hackearon", "hackeado",
            "hackeada", "me hackearon", "publicidad", "ventanas emergentes", "popups", "pop ups",
            "antivirus", "infectada", "infectado", "secuestro", "archivos encriptados", "phishing",
            "estafa", "hacked", "infected", "pop-ups", "ads everywhere", "trojan", "scam",
            "se abren solas", "paginas raras", "buscador cambio",
        ],
        steps_es: &[
            "Desconectá el equipo de internet (apagá el Wi-Fi o sacá el cable) para cortar cualquier comunicación del programa malicioso.",
            "Abrí Seguridad de Windows → Protección contra virus y amenazas → Opciones de examen → \"Examen de Microsoft Defender sin conexión\" y ejecutalo.",
            "Revisá Configuración → Aplicaciones y desinstalá programas que no reconozcas o que se instalaron hace poco sin que los pidieras.",
            "No ingreses contraseñas ni datos bancarios en ese equipo hasta terminar la limpieza.",
        ],
        more_es: &[
            "En el navegador, restablecé la configuración (Chrome: Configuración → Restablecer configuración) y quitá extensiones desconocidas.",
            "Desde otro dispositivo limpio, cambiá las contraseñas de tu correo, bancos y redes sociales y activá la verificación en dos pasos.",
            "Si aparecieron archivos cifrados o un pedido de rescate, no pagues ni borres nada: apagá el equipo y pedí un técnico.",
        ],
        steps_en: &[
            "Disconnect the computer from the internet (turn Wi-Fi off or unplug the cable) to cut off the malware.",
            "Open Windows Security → Virus & threat protection → Scan options → \"Microsoft Defender Offline scan\" and run it.",
            "Check Settings → Apps and uninstall programs you don't recognise or that appeared recently without you asking.",
            "Don't type passwords or banking details on that computer until the cleanup is done.",
        ],
        more_en: &[
            "In the browser, reset settings (Chrome: Settings → Reset settings) and remove unknown extensions.",
            "From another, clean device, change your email, banking and social passwords and turn on two-step verification.",
            "If files got encrypted or a ransom note appeared, don't pay or delete anything: shut the computer down and ask for a technician.",
        ],
    },
    Category {
        id: "account",
        title_es: "contraseña o cuenta bloqueada",
        title_en: "password or locked account",
        keywords: &[
            "contrasena", "clave", "password", "pass", "bloqueada", "bloqueado", "bloqueo",
            "olvide", "olvido", "no puedo entrar", "no puedo ingresar", "no me deja entrar",
            "!iniciar sesion", "inicio de sesion", "sesion", "login", "usuario", "pin", "cuenta",
            "cuenta microsoft", "verificacion en dos pasos", "codigo de verificacion", "locked",
            "locked out", "forgot", "sign in", "can't log in", "cant log in", "account", "2fa",
        ],
        steps_es: &[
            "Revisá que Bloq Mayús esté apagado y que el idioma del teclado sea el correcto (abajo a la derecha, ESP/ENG).",
            "Si es una cuenta Microsoft, entrá desde otro dispositivo a account.live.com/password/reset y seguí los pasos para recuperarla.",
            "En la pantalla de inicio de Windows, tocá \"Olvidé mi contraseña\" o \"Olvidé mi PIN\" y verificá con tu correo o celular.",
            "Si la cuenta se bloqueó por intentos fallidos, esperá 15 a 30 minutos antes de volver a probar.",
        ],
        more_es: &[
            "Si es una cuenta de la empresa o institución, el administrador de sistemas es quien puede desbloquearla: pedile el reseteo.",
            "Para Google, usá accounts.google.com/signin/recovery desde un dispositivo donde ya hayas iniciado sesión.",
            "Cuando recuperes el acceso, activá la verificación en dos pasos y guardá los códigos de respaldo.",
        ],
        steps_en: &[
            "Check Caps Lock is off and the keyboard language is right (bottom right, ESP/ENG).",
            "For a Microsoft account, go to account.live.com/password/reset from another device and follow the recovery steps.",
            "On the Windows sign-in screen, click \"I forgot my password\" or \"I forgot my PIN\" and verify with your email or phone.",
            "If the account locked after failed attempts, wait 15 to 30 minutes before trying again.",
        ],
        more_en: &[
            "For a work or school account, your IT administrator is the one who can unlock it: ask them for a reset.",
            "For Google, use accounts.google.com/signin/recovery from a device where you're already signed in.",
            "Once you're back in, turn on two-step verification and keep the backup codes safe.",
        ],
    },
    Category {
        id: "email",
        title_es: "problemas con el correo",
        title_en: "email problems",
        keywords: &[
            "correo", "correos", "mail", "mails", "email", "e-mail", "outlook", "gmail", "hotmail",
            "thunderbird", "bandeja", "bandeja de entrada", "no me llegan", "no llegan", "no puedo enviar",
            "no envia", "spam", "adjunto", "buzon lleno", "inbox", "can't send", "not receiving",
            "attachment", "mailbox",
        ],
        steps_es: &[
            "Entrá a tu correo desde el navegador (por ejemplo outlook.com o gmail.com): si ahí funciona, el problema es del programa de la compu.",
            "Revisá las carpetas Spam/Correo no deseado y Archivados por si los mensajes están ahí.",
            "Fijate si el buzón está lleno: borrá correos grandes y vaciá la papelera.",
            "Cerrá por completo el programa de correo (Outlook, Thunderbird), reiniciá la compu y volvé a abrirlo.",
        ],
        more_es: &[
            "En Outlook, probá en modo seguro: Win + R → outlook.exe /safe; si así anda, desactivá complementos.",
            "Revisá que no haya reglas o reenvíos automáticos que muevan los correos (Configuración → Reglas).",
            "Si no podés enviar, revisá el tamaño de los adjuntos (la mayoría de los servicios acepta hasta 20–25 MB).",
            "Quitá y volvé a agregar la cuenta en el programa de correo.",
        ],
        steps_en: &[
            "Open your mailbox in the browser (outlook.com or gmail.com, say): if it works there, the problem is the desktop app.",
            "Check the Spam/Junk and Archive folders in case the messages are there.",
            "Check whether the mailbox is full: delete large emails and empty the trash.",
            "Fully close the mail app (Outlook, Thunderbird), restart the computer and open it again.",
        ],
        more_en: &[
            "In Outlook, try safe mode: Win + R → outlook.exe /safe; if it works that way, disable add-ins.",
            "Check there are no rules or automatic forwards moving your mail (Settings → Rules).",
            "If you can't send, check attachment size (most services accept up to 20–25 MB).",
            "Remove the account from the mail app and add it again.",
        ],
    },
    Category {
        id: "sound",
        title_es: "no hay sonido",
        title_en: "no sound",
        keywords: &[
            "sonido", "audio", "parlante", "parlantes", "auricular", "auriculares", "microfono", "mic",
            "volumen", "no se escucha", "no escucho", "no me escuchan", "mudo", "silencio",
            "sound", "speaker*", "headphone*", "headset", "microphone", "volume", "can't hear",
            "no audio", "muted",
        ],
        steps_es: &[
            "Revisá el volumen en el ícono del parlante (abajo a la derecha) y que no esté en silencio; subí también el volumen del programa que estás usando.",
            "Hacé clic en el ícono del parlante y elegí el dispositivo de salida correcto (parlantes, auriculares, monitor HDMI).",
            "Desconectá y volvé a conectar los auriculares o parlantes; si son USB, probá otro puerto.",
            "Ejecutá el solucionador: clic derecho en el ícono del parlante → Solucionar problemas de sonido.",
        ],
        more_es: &[
            "Abrí el Administrador de dispositivos → Entradas y salidas de audio, clic derecho en tu dispositivo → Desinstalar, y reiniciá para que se reinstale.",
            "Actualizá el controlador de audio desde la página del fabricante del equipo (Realtek, etc.).",
            "Si el problema es el micrófono, revisá Configuración → Privacidad → Micrófono y permití el acceso a las aplicaciones.",
        ],
        steps_en: &[
            "Check the volume on the speaker icon (bottom right) and that it isn't muted; raise the volume inside the app too.",
            "Click the speaker icon and choose the right output device (speakers, headphones, HDMI monitor).",
            "Unplug and reconnect the headphones or speakers; for USB ones, try another port.",
            "Run the troubleshooter: right-click the speaker icon → Troubleshoot sound problems.",
        ],
        more_en: &[
            "Open Device Manager → Audio inputs and outputs, right-click your device → Uninstall, and restart so it reinstalls.",
            "Update the audio driver from the computer manufacturer's site (Realtek, etc.).",
            "If the microphone is the problem, check Settings → Privacy → Microphone and allow apps to use it.",
        ],
    },
    Category {
        id: "display",
        title_es: "problemas con el monitor o la pantalla",
        title_en: "monitor or screen problems",
        keywords: &[
            "monitor", "pantalla", "pantalla negra", "sin imagen", "no da imagen", "no hay imagen",
            "sin senal", "no hay senal", "no signal", "parpadea", "titila", "rayas", "lineas",
            "resolucion", "hdmi", "displayport", "vga", "pantalla no prende", "pantalla no enciende",
            "prende pantalla", "enciende pantalla", "segundo monitor", "brillo", "screen", "display",
            "flicker*", "black screen", "blank screen", "lines on screen", "brightness",
        ],
        steps_es: &[
            "Verificá que el monitor esté encendido (luz prendida) y que el cable de video (HDMI/DisplayPort/VGA) esté firme en ambos extremos.",
            "En el menú del monitor, elegí la entrada correcta (HDMI 1, HDMI 2, DP…).",
            "Probá otro cable o, si la PC tiene dos salidas de video, cambiá de puerto.",
            "Apretá Win + Ctrl + Shift + B: reinicia el controlador de video sin cerrar nada.",
        ],
        more_es: &[
            "Si la pantalla parpadea, probá otra frecuencia o resolución en Configuración → Pantalla → Configuración de pantalla avanzada.",
            "Actualizá el controlador de la placa de video (Intel, AMD o NVIDIA) desde la página oficial.",
            "Conectá el monitor a otro equipo (o la notebook a otro monitor) para saber si la falla es del monitor o de la compu.",
            "Si hay rayas o manchas que aparecen también en el menú del monitor, el panel está dañado: hace falta un técnico.",
        ],
        steps_en: &[
            "Check the monitor is on (power light) and the video cable (HDMI/DisplayPort/VGA) is firmly seated at both ends.",
            "In the monitor's menu, choose the right input (HDMI 1, HDMI 2, DP…).",
            "Try another cable or, if the PC has two video outputs, switch ports.",
            "Press Win + Ctrl + Shift + B: it restarts the graphics driver without closing anything.",
        ],
        more_en: &[
            "If the screen flickers, try another refresh rate or resolution in Settings → Display → Advanced display.",
            "Update the graphics driver (Intel, AMD or NVIDIA) from the official site.",
            "Connect the monitor to another computer (or the laptop to another monitor) to tell whether the monitor or the computer is at fault.",
            "If lines or blotches also show on the monitor's own menu, the panel is damaged: it needs a technician.",
        ],
    },
    Category {
        id: "input",
        title_es: "el teclado o el mouse no andan",
        title_en: "keyboard or mouse not working",
        keywords: &[
            "teclado", "mouse", "raton", "touchpad", "panel tactil", "teclas", "tecla", "cursor",
            "puntero", "escribe solo", "escribe otras letras", "no escribe", "no hace clic", "clic",
            "keyboard", "trackpad", "keys", "pointer", "click*", "typing",
        ],
        steps_es: &[
            "Si es inalámbrico, cambiá las pilas o cargalo, y verificá que el interruptor de abajo esté en ON.",
            "Desconectá el receptor USB o el cable y conectalo en otro puerto (mejor uno de atrás si es PC de escritorio).",
            "Si es Bluetooth, quitá el dispositivo en Configuración → Bluetooth y dispositivos y volvé a emparejarlo.",
            "En una notebook, revisá que el touchpad no esté desactivado (suele haber una tecla Fn con el dibujo del touchpad).",
        ],
        more_es: &[
            "Si escribe otras letras, revisá el idioma del teclado en Configuración → Hora e idioma → Idioma (Español (Argentina) / Latinoamérica).",
            "Abrí el Administrador de dispositivos → Teclados / Mouse, desinstalá el dispositivo y reiniciá.",
            "Probá el teclado o mouse en otra compu para saber si el problema es el accesorio.",
            "Si se derramó líquido, apagá el equipo, desenchufalo y no lo vuelvas a encender hasta que lo revise un técnico.",
        ],
        steps_en: &[
            "If it's wireless, replace or charge the batteries and make sure the switch underneath is ON.",
            "Unplug the USB receiver or cable and plug it into another port (a rear one on a desktop).",
            "For Bluetooth, remove the device in Settings → Bluetooth & devices and pair it again.",
            "On a laptop, check the touchpad isn't disabled (there is often an Fn key with a touchpad icon).",
        ],
        more_en: &[
            "If it types the wrong characters, check the keyboard language in Settings → Time & language → Language.",
            "Open Device Manager → Keyboards / Mice, uninstall the device and restart.",
            "Try the keyboard or mouse on another computer to see if the accessory is at fault.",
            "If liquid was spilled, shut down, unplug and don't turn it back on until a technician checks it.",
        ],
    },
    Category {
        id: "software",
        title_es: "instalar o abrir programas",
        title_en: "installing or opening programs",
        keywords: &[
            "instalar", "instalacion", "instalo", "instale", "desinstalar", "programa", "programas",
            "aplicacion", "aplicaciones", "~app", "~apps", "~office", "~word", "~excel", "~zoom", "~teams",
            "no abre", "no se abre", "se cierra", "se cierra solo", "licencia", "activar",
            "install*", "uninstall", "software", "program", "won't open", "wont open", "crashes",
            "setup", "exe",
        ],
        steps_es: &[
            "Descargá el instalador solo desde la página oficial del programa o desde Microsoft Store.",
            "Hacé clic derecho en el instalador → \"Ejecutar como administrador\".",
            "Revisá que tengas espacio libre suficiente y que el programa sea compatible con tu versión de Windows (Configuración → Sistema → Información).",
            "Si un programa ya instalado no abre, reiniciá la compu y probá de nuevo; si sigue, repáralo en Configuración → Aplicaciones → (programa) → Opciones avanzadas → Reparar.",
        ],
        more_es: &[
            "Desactivá temporalmente el antivirus de terceros durante la instalación (y volvé a activarlo después).",
            "Desinstalá la versión anterior del programa, reiniciá y volvé a instalar la nueva.",
            "Si aparece un código de error, mandámelo o sacá una captura: con eso el técnico va directo al problema.",
            "Para Office, usá la herramienta oficial de reparación: Configuración → Aplicaciones → Microsoft 365 → Modificar → Reparación en línea.",
        ],
        steps_en: &[
            "Download installers only from the program's official site or the Microsoft Store.",
            "Right-click the installer → \"Run as administrator\".",
            "Make sure there's enough free space and the program supports your Windows version (Settings → System → About).",
            "If an installed program won't open, restart and try again; if it persists, repair it in Settings → Apps → (program) → Advanced options → Repair.",
        ],
        more_en: &[
            "Temporarily disable third-party antivirus during the installation (and turn it back on afterwards).",
            "Uninstall the previous version, restart and install the new one.",
            "If an error code shows up, send it or a screenshot: the technician can go straight to the problem.",
            "For Office, use the official repair: Settings → Apps → Microsoft 365 → Modify → Online Repair.",
        ],
    },
    Category {
        id: "phone",
        title_es: "problemas con el celular",
        title_en: "phone problems",
        keywords: &[
            "!celular", "!celu", "telefono", "!movil", "!smartphone", "!android", "!iphone", "samsung",
            "motorola", "xiaomi", "!ios", "no carga el celular", "chip", "sim", "no tengo senal en el celular",
            "play store", "app store", "!phone", "mobile", "!cellphone", "cell phone", "!tablet",
        ],
        steps_es: &[
            "Reiniciá el celular (mantené apretado el botón de encendido → Reiniciar).",
            "Revisá que tenga espacio libre (Ajustes → Almacenamiento) y batería por encima del 20 %.",
            "Actualizá el sistema (Ajustes → Sistema → Actualización) y las aplicaciones desde Play Store o App Store.",
            "Si el problema es con una app, borrale la caché (Ajustes → Aplicaciones → la app → Almacenamiento → Borrar caché) o reinstalala.",
        ],
        more_es: &[
            "Si no tenés señal, activá y desactivá el modo avión; si sigue, sacá y volvé a poner el chip.",
            "Restablecé la configuración de red (Ajustes → Sistema → Restablecer → Restablecer Wi-Fi, datos móviles y Bluetooth).",
            "Antes de cualquier restablecimiento de fábrica, hacé una copia de seguridad de fotos y contactos (Google Fotos / iCloud).",
        ],
        steps_en: &[
            "Restart the phone (hold the power button → Restart).",
            "Check there's free space (Settings → Storage) and battery above 20%.",
            "Update the system (Settings → System → Update) and apps from the Play Store or App Store.",
            "If the problem is one app, clear its cache (Settings → Apps → the app → Storage → Clear cache) or reinstall it.",
        ],
        more_en: &[
            "If there's no signal, toggle airplane mode; if it persists, remove and reinsert the SIM.",
            "Reset network settings (Settings → System → Reset → Reset Wi-Fi, mobile & Bluetooth).",
            "Before any factory reset, back up photos and contacts (Google Photos / iCloud).",
        ],
    },
    Category {
        id: "files",
        title_es: "archivos borrados o copias de seguridad",
        title_en: "deleted files or backups",
        keywords: &[
            "borre", "borrado", "borrados", "borre sin querer", "elimine", "eliminado", "eliminados",
            "recuperar", "recuperar archivos", "perdi", "perdi archivos", "desaparecieron",
            "papelera", "backup", "copia de seguridad", "respaldo", "archivos", "carpeta", "fotos borradas",
            "pendrive", "deleted", "recover", "lost files", "recycle bin", "restore files", "missing files",
        ],
        steps_es: &[
            "Dejá de usar el disco o pendrive donde estaban los archivos: cada cosa nueva que guardes puede pisar lo borrado.",
            "Buscá en la Papelera de reciclaje; si están, clic derecho → Restaurar.",
            "Si usás OneDrive, Google Drive o Dropbox, revisá su papelera web (guardan lo borrado 30 días o más).",
            "En la carpeta donde estaban, clic derecho → Propiedades → Versiones anteriores, por si Windows guardó una copia.",
        ],
        more_es: &[
            "Si tenés Historial de archivos o un disco de backup, restaurá desde ahí (Panel de control → Historial de archivos → Restaurar archivos personales).",
            "No instales programas de recuperación en el mismo disco: si el dato es importante, un técnico puede intentar recuperarlo sin dañarlo.",
            "Para el futuro, configurá una copia automática en la nube o en un disco externo.",
        ],
        steps_en: &[
            "Stop using the disk or USB drive where the files were: anything new you save can overwrite them.",
            "Look in the Recycle Bin; if they're there, right-click → Restore.",
            "If you use OneDrive, Google Drive or Dropbox, check their web trash (they keep deleted items 30 days or more).",
            "In the folder where they were, right-click → Properties → Previous Versions, in case Windows kept a copy.",
        ],
        more_en: &[
            "If you have File History or a backup disk, restore from it (Control Panel → File History → Restore personal files).",
            "Don't install recovery tools on the same disk: if the data matters, a technician can try to recover it safely.",
            "For the future, set up an automatic backup to the cloud or an external disk.",
        ],
    },
    Category {
        id: "storage",
        title_es: "el disco está lleno",
        title_en: "the disk is full",
        keywords: &[
            "disco lleno", "sin espacio", "espacio", "almacenamiento", "no tengo espacio", "memoria llena",
            "disco c", "lleno", "disk full", "storage", "no space", "low disk space", "out of space",
        ],
        steps_es: &[
            "Abrí Configuración → Sistema → Almacenamiento para ver qué ocupa más lugar.",
            "Activá \"Sensor de almacenamiento\" y ejecutá \"Recomendaciones de limpieza\" para borrar temporales y la papelera.",
            "Revisá la carpeta Descargas: suele tener instaladores y archivos viejos que ya no necesitás.",
            "Desinstalá programas y juegos que no uses desde Configuración → Aplicaciones (ordená por tamaño).",
        ],
        more_es: &[
            "Mové fotos y videos a un disco externo o a la nube (OneDrive, Google Drive).",
            "Ejecutá \"Liberador de espacio en disco\" → \"Limpiar archivos del sistema\" para borrar restos de actualizaciones.",
            "Si el disco es chico (128 GB o menos), un técnico puede evaluar ampliarlo.",
        ],
        steps_en: &[
            "Open Settings → System → Storage to see what takes the most space.",
            "Turn on \"Storage Sense\" and run \"Cleanup recommendations\" to remove temporary files and the recycle bin.",
            "Check the Downloads folder: it often holds old installers and files you no longer need.",
            "Uninstall programs and games you don't use from Settings → Apps (sort by size).",
        ],
        more_en: &[
            "Move photos and videos to an external disk or the cloud (OneDrive, Google Drive).",
            "Run \"Disk Cleanup\" → \"Clean up system files\" to remove leftovers from updates.",
            "If the disk is small (128 GB or less), a technician can assess upgrading it.",
        ],
    },
    Category {
        id: "battery",
        title_es: "la batería o el cargador",
        title_en: "battery or charger",
        keywords: &[
            "bateria", "cargador", "no carga", "no esta cargando", "se descarga", "dura poco",
            "enchufado no carga", "carga", "battery", "charger", "not charging", "won't charge",
            "drains", "plugged in not charging",
        ],
        steps_es: &[
            "Probá el cargador en otro enchufe y revisá que el cable no esté doblado o pelado y que el conector entre firme.",
            "Fijate si se prende la luz de carga de la notebook al enchufarla.",
            "Apagá la notebook, desenchufala, mantené el botón de encendido 30 segundos, enchufá solo el cargador y encendé.",
            "En Windows, revisá Configuración → Sistema → Energía y batería para ver el estado y qué consume más.",
        ],
        more_es: &[
            "Actualizá el BIOS y los controladores de energía desde la página del fabricante de la notebook.",
            "Si el ícono dice \"Enchufado, no se está cargando\", en el Administrador de dispositivos → Baterías desinstalá \"Batería con método de control compatible con ACPI\" y reiniciá.",
            "Si la batería está hinchada (la carcasa se levanta), dejá de usarla y pedí un técnico.",
        ],
        steps_en: &[
            "Try the charger on another socket and check the cable isn't bent or frayed and the plug sits firmly.",
            "Check whether the laptop's charging light turns on when plugged in.",
            "Shut down, unplug, hold the power button 30 seconds, connect only the charger and turn it on.",
            "In Windows, check Settings → System → Power & battery for the battery state and what drains it.",
        ],
        more_en: &[
            "Update the BIOS and power drivers from the laptop manufacturer's site.",
            "If it says \"Plugged in, not charging\", in Device Manager → Batteries uninstall \"Microsoft ACPI-Compliant Control Method Battery\" and restart.",
            "If the battery is swollen (the case bulges), stop using it and ask for a technician.",
        ],
    },
];
