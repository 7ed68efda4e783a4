"""Vietnamese message catalogue (the default language). Plain, polite, short."""

MESSAGES: dict[str, str] = {
    # onboarding
    "welcome": (
        "Xin chào! Mình là **trợ lý tự động** của tỉnh Lào Cai về đổi mới sáng tạo "
        "và chuyển đổi số. Mình trả lời câu hỏi, giúp đăng ký tập huấn và nhắc lịch sự kiện."
    ),
    "welcome_commune": "Bạn ở **{commune}** — mình đã ghi nhận.",
    "ask_language": "Bạn muốn dùng ngôn ngữ nào?",
    "ask_commune": (
        "Bạn ở xã, phường nào? Gõ tên (có dấu hay không đều được, tên xã cũ trước "
        "07/2025 cũng được), hoặc chọn Bỏ qua."
    ),
    "commune_set": "Đã chọn **{commune}**.",
    "commune_choices": "Mình tìm thấy mấy nơi gần giống. Bạn chọn đúng xã, phường của mình:",
    "commune_not_found": (
        "Mình chưa tìm thấy xã, phường \"{text}\". Bạn thử gõ lại tên khác, hoặc tên "
        "xã cũ trước 07/2025, hoặc chọn Bỏ qua."
    ),
    "commune_none_of_these": "Không có trong danh sách",
    "commune_was_formed_from": "{commune} (gồm {old})",
    "ask_audience": "Bạn là ai? (để mình gợi ý thông tin phù hợp)",
    "ask_news": "Bạn có muốn nhận tin của xã, phường mình không? Bạn có thể tắt bất cứ lúc nào.",
    "onboarding_done": "Xong rồi! Bạn cứ gõ câu hỏi, hoặc chọn trong menu dưới đây.",
    # options
    "opt_vi": "Tiếng Việt",
    "opt_en": "English",
    "opt_skip": "Bỏ qua",
    "opt_yes_news": "Có, nhận tin",
    "opt_no_news": "Không",
    "aud_youth": "Thanh niên 18–23 tuổi",
    "aud_business": "Doanh nghiệp, hộ kinh doanh",
    "aud_staff": "Cán bộ xã, phường / Tổ công nghệ số",
    "aud_other": "Khác",
    # menu
    "menu": "Menu chính — bạn chọn một mục:",
    "menu_faq": "Hỏi đáp",
    "menu_training": "Đăng ký tập huấn",
    "menu_events": "Sự kiện & nhắc lịch",
    "menu_news": "Tin của xã/phường",
    "menu_privacy": "Quyền riêng tư",
    "faq_prompt": "Bạn cứ gõ câu hỏi, có dấu hay không dấu đều được. Ví dụ:",
    "events_intro": "Các ngày và sự kiện của chiến dịch:",
    # news settings
    "news_status": "Xã, phường của bạn: **{commune}**. Nhận tin của xã/phường: **{state}**.",
    "news_on": "đang bật",
    "news_off": "đang tắt",
    "news_turn_on": "Bật nhận tin",
    "news_turn_off": "Tắt tin",
    "news_change_commune": "Đổi xã/phường",
    "news_now_on": "Đã bật nhận tin của xã, phường.",
    "news_now_off": "Đã tắt tin. Bạn có thể bật lại trong menu bất cứ lúc nào.",
    "news_need_commune": "Để nhận tin, bạn cho mình biết xã, phường của bạn trước nhé.",
    "no_commune": "chưa chọn",
    # faq
    "faq_suggest": "Mình chưa chắc bạn hỏi gì. Có phải bạn muốn hỏi:",
    "faq_fallback": (
        "Xin lỗi, mình chưa có câu trả lời cho câu hỏi này. Bạn thử hỏi cách khác, chọn "
        "trong menu, hoặc liên hệ UBND xã, phường hay Sở Khoa học và Công nghệ tỉnh."
    ),
    "faq_truncated": "(Tin nhắn của bạn dài quá, mình chỉ đọc phần đầu.)",
    # privacy
    "privacy_menu": "Bạn muốn xem hay xóa dữ liệu của mình?",
    "opt_mydata": "Xem dữ liệu của tôi",
    "opt_forget": "Xóa dữ liệu của tôi",
    "mydata": (
        "Dữ liệu bot lưu về bạn:\n"
        "- Ứng dụng: {channel}, mã người dùng: {user_id}\n"
        "- Tên hiển thị: {display_name}\n"
        "- Ngôn ngữ: {language}\n"
        "- Xã/phường: {commune}\n"
        "- Nhóm: {audience}\n"
        "- Nhận tin của xã/phường: {news}\n"
        "- Đồng ý lưu thông tin cá nhân lúc: {consent}\n"
        "- Lần đầu nhắn: {created}\n"
        "- Lần gần nhất: {last_seen}\n"
        "- Số câu hỏi đã lưu: {questions}\n"
        "Gõ /forget để xóa toàn bộ."
    ),
    "forget_confirm": (
        "Bạn chắc chắn muốn xóa toàn bộ dữ liệu của mình? Việc này không hoàn tác được."
    ),
    "opt_forget_yes": "Xóa hết",
    "opt_forget_no": "Giữ lại",
    "forget_done": "Đã xóa toàn bộ dữ liệu của bạn. Nếu muốn dùng lại, bạn gõ /start.",
    "forget_kept": "Đã giữ nguyên dữ liệu của bạn.",
    "yes": "có",
    "no": "không",
    # language
    "language_set": "Đã chuyển sang tiếng Việt.",
    # errors and bad input
    "stale_option": "Lựa chọn này không còn hiệu lực. Bạn chọn lại trong menu nhé.",
    "stale_number": "Số {number} không có trong danh sách. Bạn chọn một số từ 1 đến {count}.",
    "unsupported": "Mình chỉ đọc được tin nhắn chữ. Bạn gõ câu hỏi bằng chữ giúp mình nhé.",
    "empty": "Mình chưa thấy nội dung. Bạn gõ câu hỏi bằng chữ, hoặc chọn trong menu nhé.",
    "unknown_command": "Mình không biết lệnh {command}. Các lệnh có thể dùng: {commands}.",
    "cancelled": "Đã hủy. Bạn có thể bắt đầu lại bất cứ lúc nào.",
    "nothing_to_cancel": "Hiện không có việc gì đang làm dở.",
    "flood": "Bạn gửi nhanh quá. Mình tạm dừng {seconds} giây rồi trả lời tiếp nhé.",
    "storage_error": (
        "Xin lỗi, hệ thống đang gặp sự cố khi lưu dữ liệu. Bạn thử lại sau ít phút nhé. "
        "Những gì bạn đã nhập trước đó vẫn được giữ."
    ),
    "internal_error": "Xin lỗi, có lỗi xảy ra. Bạn thử lại nhé; những gì đã nhập vẫn được giữ.",
    # command menu shown by chat apps
    "cmd_start": "Bắt đầu, chọn xã/phường",
    "cmd_menu": "Menu chính",
    "cmd_help": "Bot làm được gì",
    "cmd_cancel": "Hủy việc đang làm",
    "cmd_lang": "Đổi ngôn ngữ",
    "cmd_mydata": "Xem dữ liệu của tôi",
    "cmd_forget": "Xóa dữ liệu của tôi",
}
