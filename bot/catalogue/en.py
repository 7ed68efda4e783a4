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
        'I could not find "{text}". Try another spelling or the old name from before '
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
    # training sign-up
    "menu_mine": "My registrations",
    "signup_list": "Training sessions open for sign-up:\n{items}\nPick the one you want:",
    "signup_item": "{n}. **{title}**\n   {start} – {place}\n   {seats}",
    "seats_left": "{left} seats left",
    "seats_full": "Full — you can still join the waiting list",
    "no_open_sessions": "No training session is open for sign-up right now.",
    "past_sessions": "Past sessions:\n{items}",
    "past_item": "- {title} ({start})",
    "opt_watch": "Tell me when a new one opens",
    "watch_done": "Noted. I will message you when a new session opens.",
    "already_registered": "You are already signed up for **{title}** ({state}).",
    "state_confirmed": "seat confirmed",
    "state_waitlisted": "on the waiting list, position {position}",
    "consent_ask": "To sign you up, the bot needs to store your **full name** and **phone number** so the Department of Science and Technology can organise the session and contact you. They are used for nothing else; see them with /mydata and delete them with /forget any time. Do you agree?",
    "opt_agree": "I agree",
    "opt_disagree": "No",
    "consent_declined": "That is fine. Nothing of yours is stored for a sign-up.",
    "ask_name": "What is your full name?",
    "name_prefill": "Use the name **{name}** from last time?",
    "opt_use_this": "Use this name",
    "opt_use_phone": "Use this number",
    "opt_type_other": "Type another",
    "name_empty": "You did not type a name. What is your full name?",
    "name_too_long": "That name is too long (100 characters at most). Please type it again.",
    "name_invalid": "A name has letters only, e.g. Nguyen Van An. Please type it again.",
    "ask_phone": "Your phone number? (e.g. 0912 345 678)",
    "phone_prefill": "Use the number **{phone}** from last time?",
    "opt_share_phone": "📱 Share my phone number",
    "phone_invalid": "That number does not look right. Please type a Vietnamese mobile number, e.g. 0912 345 678.",
    "phone_foreign": "Only Vietnamese numbers (+84) are accepted. Please type a Vietnamese number.",
    "ask_field": "{label}?",
    "field_required": "This is needed. {label}?",
    "field_number": "Please type a number, e.g. 12. {label}?",
    "field_range": "That number does not look right. {label}?",
    "field_choice": "Please pick one of the options. {label}?",
    "field_too_long": "Too long (200 characters at most). {label}?",
    "summary": "Please check:\n- Session: **{title}**\n- Time: {start}\n- Place: {place}\n- Name: {name}\n- Phone: {phone}{extra}",
    "opt_confirm": "Confirm",
    "opt_edit": "Edit",
    "opt_abort": "Cancel",
    "signup_aborted": "Sign-up cancelled. Nothing you typed was kept.",
    "booked": "Done! You have a seat at **{title}**, {start}, at {place}. I will remind you before it starts.",
    "waitlisted": "**{title}** is full. You are **number {position}** on the waiting list; I will tell you as soon as a seat frees up.",
    "session_gone": "This session no longer takes sign-ups (closed, started or removed).",
    "ics_text": "Calendar: {title}\nTime: {start} to {end}\nPlace: {place}",
    "mine_none": "You have not signed up for any training session.",
    "mine_list": "Your sign-ups:\n{items}",
    "mine_item": "- **{title}** — {start} — {state}",
    "opt_cancel_reg": "Cancel: {title}",
    "cancel_reg_confirm": "Cancel your sign-up for **{title}**?",
    "opt_cancel_yes": "Cancel sign-up",
    "opt_cancel_no": "Keep it",
    "reg_cancelled": "Your sign-up for **{title}** is cancelled.",
    "reg_kept": "Your sign-up is unchanged.",
    "promoted_notice": "Good news: a seat is now yours at **{title}** ({start}, {place}). Nothing more to do.",
    "session_closed_notice": "**{title}** ({start}) is closed for sign-ups. Your seat is kept if you had one; any change will be announced.",
    "session_cancelled_notice": "**{title}** ({start}) has been cancelled. Sorry for the trouble.",
    "session_moved_notice": "**{title}** has moved: now {start}, at {place}.",
    "new_session_notice": "A new training session: **{title}**, {start}, at {place}. Type /dangky to sign up.",
    "cmd_dangky": "Training sign-up",
    "cmd_lichcuatoi": "My training sign-ups",
    "mydata_registration": "- Sign-up for {title}: {name}, {phone}{extra}, {state}",
    # channels without buttons
    "choose_by_number": "(Reply with a number, e.g. 1, or the words of an option.)",
}
