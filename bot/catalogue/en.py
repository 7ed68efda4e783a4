"""English message catalogue."""

MESSAGES: dict[str, str] = {
    "welcome": (
        "Hello! I am Lào Cai province's **automated assistant** for innovation and digital "
        "transformation. I answer questions, sign you up for training and remind you of events."
    ),
    "welcome_commune": "You are in **{commune}** — noted.",
    "ask_language": "Which language would you like?",
    "ask_commune": (
        "Which commune or ward are you in? Type its name (old names from before 07/2025 "
        "work too), or choose Skip."
    ),
    "commune_set": "Selected **{commune}**.",
    "commune_choices": "I found several close matches. Please pick yours:",
    "commune_not_found": (
        "I could not find \"{text}\". Try another spelling or the old name from before "
        "07/2025, or choose Skip."
    ),
    "commune_none_of_these": "None of these",
    "commune_was_formed_from": "{commune} (includes {old})",
    "ask_audience": "Who are you? (so I can suggest what fits)",
    "ask_news": "Would you like news from your commune or ward? You can stop it any time.",
    "onboarding_done": "All set! Type a question, or pick from the menu below.",
    "opt_vi": "Tiếng Việt",
    "opt_en": "English",
    "opt_skip": "Skip",
    "opt_yes_news": "Yes, send news",
    "opt_no_news": "No",
    "aud_youth": "Young person 18–23",
    "aud_business": "Business or household business",
    "aud_staff": "Commune staff / community digital team",
    "aud_other": "Other",
    "menu": "Main menu — pick one:",
    "menu_faq": "Questions",
    "menu_training": "Training sign-up",
    "menu_events": "Events & reminders",
    "menu_news": "Commune news",
    "menu_privacy": "Privacy",
    "faq_prompt": "Just type your question. For example:",
    "events_intro": "The campaign's days and events:",
    "news_status": "Your commune/ward: **{commune}**. Commune news: **{state}**.",
    "news_on": "on",
    "news_off": "off",
    "news_turn_on": "Turn news on",
    "news_turn_off": "Stop news",
    "news_change_commune": "Change commune",
    "news_now_on": "Commune news is on.",
    "news_now_off": "News stopped. You can turn it back on from the menu any time.",
    "news_need_commune": "To get news, please tell me your commune or ward first.",
    "no_commune": "not chosen",
    "faq_suggest": "I am not sure what you mean. Did you want to ask:",
    "faq_fallback": (
        "Sorry, I do not have an answer to that yet. Try asking another way, use the menu, "
        "or contact your commune office or the Department of Science and Technology."
    ),
    "faq_truncated": "(Your message was very long; I read only the first part.)",
    "privacy_menu": "Would you like to see or delete your data?",
    "opt_mydata": "Show my data",
    "opt_forget": "Delete my data",
    "mydata": (
        "What the bot stores about you:\n"
        "- App: {channel}, user id: {user_id}\n"
        "- Display name: {display_name}\n"
        "- Language: {language}\n"
        "- Commune/ward: {commune}\n"
        "- Group: {audience}\n"
        "- Commune news: {news}\n"
        "- Consent to store personal data: {consent}\n"
        "- First message: {created}\n"
        "- Last seen: {last_seen}\n"
        "- Questions stored: {questions}\n"
        "Type /forget to delete it all."
    ),
    "forget_confirm": "Delete all your data? This cannot be undone.",
    "opt_forget_yes": "Delete all",
    "opt_forget_no": "Keep it",
    "forget_done": "All your data has been deleted. Type /start to use the bot again.",
    "forget_kept": "Your data is unchanged.",
    "yes": "yes",
    "no": "no",
    "language_set": "Switched to English.",
    "stale_option": "That choice is no longer valid. Please pick again from the menu.",
    "stale_number": "{number} is not in the list. Please pick a number from 1 to {count}.",
    "unsupported": "I can only read text messages. Please type your question.",
    "empty": "I did not see any text. Please type your question, or use the menu.",
    "unknown_command": "I do not know {command}. Commands you can use: {commands}.",
    "cancelled": "Cancelled. You can start again any time.",
    "nothing_to_cancel": "There is nothing in progress.",
    "flood": "You are sending very fast. I will pause for {seconds} seconds.",
    "storage_error": (
        "Sorry, the system could not save data just now. Please try again in a few minutes. "
        "What you entered before is kept."
    ),
    "internal_error": "Sorry, something went wrong. Please try again; what you entered is kept.",
    # command menu shown by chat apps
    "cmd_start": "Start, choose your commune",
    "cmd_menu": "Main menu",
    "cmd_help": "What the bot can do",
    "cmd_cancel": "Cancel what is in progress",
    "cmd_lang": "Change language",
    "cmd_mydata": "See my data",
    "cmd_forget": "Delete my data",
}
