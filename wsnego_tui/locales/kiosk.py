"""UI strings of kiosk mode: the idle lock's countdown and the apology after an unexpected
error. See wsnego_tui.locales for the rules.

Pure: no textual, no rich. No character of ambiguous East Asian width.
"""

ZH: dict[str, str] = {
    "kiosk.idle.title": "您还在吗？",
    "kiosk.idle.body": "为保护您的信息，{seconds}秒后将自动退出登录。\n按任意键或点击屏幕继续办理。",
    "kiosk.apology.title": "抱歉",
    "kiosk.apology.body": "系统出现了意外问题，为保护您的信息，已退出登录。\n请按任意键后重新登录。",
    "kiosk.crashed": "抱歉，系统出现了意外问题，本次会话已结束。",
}

EN: dict[str, str] = {
    "kiosk.idle.title": "Are you still there?",
    "kiosk.idle.body": "To protect your information you will be logged out in {seconds} s.\nPress any key or click to continue.",
    "kiosk.apology.title": "Sorry",
    "kiosk.apology.body": "Something went wrong. To protect your information you have been logged out.\nPress any key, then log in again.",
    "kiosk.crashed": "Sorry, something went wrong and this session has ended.",
}
