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
        'Mình chưa tìm thấy xã, phường "{text}". Bạn thử gõ lại tên khác, hoặc tên '
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
    # training sign-up
    "menu_mine": "Lịch đã đăng ký",
    "signup_list": "Các lớp tập huấn đang nhận đăng ký:\n{items}\nBạn chọn lớp muốn đăng ký:",
    "signup_item": "{n}. **{title}**\n   {start} – {place}\n   {seats}",
    "seats_left": "Còn {left} chỗ",
    "seats_full": "Hết chỗ — bạn vẫn có thể vào danh sách chờ",
    "no_open_sessions": "Hiện chưa có lớp tập huấn nào đang nhận đăng ký.",
    "past_sessions": "Các lớp đã diễn ra:\n{items}",
    "past_item": "- {title} ({start})",
    "opt_watch": "Báo tôi khi có lớp mới",
    "watch_done": "Đã ghi nhận. Khi có lớp mới, bot sẽ nhắn cho bạn.",
    "already_registered": "Bạn đã đăng ký lớp **{title}** rồi ({state}).",
    "state_confirmed": "đã có chỗ",
    "state_waitlisted": "đang trong danh sách chờ, vị trí {position}",
    "consent_ask": "Để đăng ký, bot cần lưu **họ tên** và **số điện thoại** của bạn để Sở Khoa học và Công nghệ tổ chức và liên hệ về lớp học. Dữ liệu chỉ dùng cho việc này; bạn xem bằng /mydata và xóa bằng /forget bất cứ lúc nào. Bạn có đồng ý không?",
    "opt_agree": "Đồng ý",
    "opt_disagree": "Không đồng ý",
    "consent_declined": "Không sao. Bot không lưu thông tin nào của bạn cho việc đăng ký.",
    "ask_name": "Họ và tên của bạn là gì?",
    "name_prefill": "Dùng họ tên **{name}** như lần trước?",
    "opt_use_this": "Dùng tên này",
    "opt_use_phone": "Dùng số này",
    "opt_type_other": "Nhập khác",
    "name_empty": "Bạn chưa nhập tên. Họ và tên của bạn là gì?",
    "name_too_long": "Tên dài quá (tối đa 100 ký tự). Bạn nhập lại họ và tên nhé.",
    "name_invalid": "Họ tên chỉ gồm chữ cái, ví dụ: Nguyễn Văn An. Bạn nhập lại nhé.",
    "ask_phone": "Số điện thoại của bạn? (ví dụ 0912 345 678)",
    "phone_prefill": "Dùng số điện thoại **{phone}** như lần trước?",
    "opt_share_phone": "📱 Gửi số điện thoại của tôi",
    "phone_invalid": "Số điện thoại chưa đúng. Bạn nhập số di động Việt Nam, ví dụ 0912 345 678.",
    "phone_foreign": "Bot chỉ nhận số điện thoại Việt Nam (+84). Bạn nhập số Việt Nam nhé.",
    "ask_field": "{label}?",
    "field_required": "Mục này cần điền. {label}?",
    "field_number": "Bạn nhập một số, ví dụ 12. {label}?",
    "field_range": "Số này chưa hợp lý. {label}?",
    "field_choice": "Bạn chọn một trong các mục dưới đây. {label}?",
    "field_too_long": "Dài quá (tối đa 200 ký tự). {label}?",
    "summary": "Bạn kiểm tra lại thông tin:\n- Lớp: **{title}**\n- Thời gian: {start}\n- Địa điểm: {place}\n- Họ tên: {name}\n- Điện thoại: {phone}{extra}",
    "opt_confirm": "Xác nhận",
    "opt_edit": "Sửa",
    "opt_abort": "Hủy",
    "signup_aborted": "Đã hủy đăng ký. Thông tin vừa nhập không được lưu.",
    "booked": "Đăng ký thành công! Bạn đã có chỗ ở lớp **{title}**, {start}, tại {place}. Bot sẽ nhắc bạn trước buổi học.",
    "waitlisted": "Lớp **{title}** đã hết chỗ. Bạn ở **vị trí {position}** trong danh sách chờ; khi có người hủy, bot báo bạn ngay.",
    "session_gone": "Lớp này không còn nhận đăng ký (đã đóng, đã bắt đầu hoặc bị xóa).",
    "ics_text": "Lịch: {title}\nThời gian: {start} đến {end}\nĐịa điểm: {place}",
    "mine_none": "Bạn chưa đăng ký lớp tập huấn nào.",
    "mine_list": "Các lớp bạn đã đăng ký:\n{items}",
    "mine_item": "- **{title}** — {start} — {state}",
    "opt_cancel_reg": "Hủy: {title}",
    "cancel_reg_confirm": "Bạn chắc chắn hủy đăng ký lớp **{title}**?",
    "opt_cancel_yes": "Hủy đăng ký",
    "opt_cancel_no": "Giữ lại",
    "reg_cancelled": "Đã hủy đăng ký lớp **{title}**.",
    "reg_kept": "Đã giữ nguyên đăng ký.",
    "promoted_notice": "Tin vui: đã có chỗ cho bạn ở lớp **{title}** ({start}, {place}). Bạn không cần làm gì thêm.",
    "session_closed_notice": "Lớp **{title}** ({start}) đã đóng đăng ký. Đăng ký của bạn vẫn được giữ nếu bạn đã có chỗ; mọi thay đổi sẽ được báo.",
    "session_cancelled_notice": "Lớp **{title}** ({start}) đã bị hủy. Xin lỗi bạn vì sự bất tiện.",
    "session_moved_notice": "Lớp **{title}** đổi thời gian: nay là {start}, tại {place}.",
    "new_session_notice": "Có lớp tập huấn mới: **{title}**, {start}, tại {place}. Gõ /dangky để đăng ký.",
    "cmd_dangky": "Đăng ký tập huấn",
    "cmd_lichcuatoi": "Lịch tập huấn đã đăng ký",
    "mydata_registration": "- Đăng ký lớp {title}: {name}, {phone}{extra}, {state}",
    # channels without buttons
    "choose_by_number": "(Trả lời bằng số, ví dụ 1, hoặc gõ tên mục.)",
    # broadcasts
    "menu_staff": "Gửi tin (cán bộ)",
    "broadcast_not_staff": "Chức năng gửi tin chỉ dành cho cán bộ xã, phường và của tỉnh đã được cấp quyền. Nếu bạn là cán bộ, hãy liên hệ quản trị viên của tỉnh.",
    "broadcast_role_gone": "Quyền gửi tin của bạn không còn hiệu lực. Tin chưa được gửi.",
    "broadcast_target": "Bạn muốn gửi tin tới ai?",
    "opt_target_communes": "Một hoặc vài xã/phường",
    "opt_target_all": "Toàn tỉnh",
    "opt_target_audience": "Một nhóm đối tượng",
    "opt_target_session": "Người đăng ký một lớp",
    "broadcast_own_commune": "Tin sẽ gửi tới người dân **{commune}** đã đăng ký nhận tin.",
    "broadcast_ask_commune": "Bạn gõ tên xã, phường nhận tin:",
    "broadcast_commune_added": "Đã thêm: {communes}.",
    "opt_add_commune": "Thêm xã/phường khác",
    "opt_done": "Xong",
    "broadcast_ask_audience": "Chọn nhóm đối tượng:",
    "broadcast_ask_session": "Chọn lớp tập huấn:",
    "broadcast_no_sessions": "Chưa có lớp nào có người đăng ký.",
    "broadcast_ask_text": "Bạn nhập nội dung tin (tối đa 1.500 ký tự):",
    "broadcast_text_too_long": "Tin dài quá ({length} ký tự). Tối đa 1.500 ký tự, bạn rút gọn giúp nhé.",
    "broadcast_ask_when": "Gửi ngay hay hẹn giờ?",
    "opt_send_now": "Gửi ngay",
    "opt_send_later": "Hẹn giờ",
    "broadcast_ask_time": "Gửi lúc nào? Ví dụ: 08:00 10/10 hoặc 08:00 10/10/2026.",
    "broadcast_bad_time": "Mình chưa hiểu thời gian. Bạn gõ như 08:00 10/10 hoặc 08:00 10/10/2026.",
    "broadcast_time_past": "Thời gian này đã qua. Bạn chọn thời gian sắp tới nhé.",
    "broadcast_preview": "Xem trước — gửi tới **{count} người** ({scope}), {when}:\n\n{text}",
    "broadcast_when_now": "ngay bây giờ",
    "broadcast_when_at": "lúc {time}",
    "broadcast_queued": "Đã xếp hàng tin #{id} tới {count} người. Xem tiến độ: /broadcasts",
    "broadcast_nobody": "Không có ai nhận tin này (chưa ai đăng ký nhận tin ở phạm vi đã chọn). Tin chưa được gửi.",
    "broadcasts_none": "Chưa có tin nào.",
    "broadcasts_list": "Các tin gần đây:\n{items}",
    "broadcasts_item": "- #{id} {when}: {sent}/{total} đã gửi, {blocked} chặn bot, {failed} lỗi — {status}",
    "status_queued": "đang gửi",
    "status_done": "xong",
    "status_cancelled": "đã dừng",
    "opt_stop_broadcast": "Dừng tin #{id}",
    "broadcast_stopped": "Đã dừng tin #{id}; {held} tin chưa gửi được giữ lại.",
    "broadcast_header": "📢 Tin từ {origin}:",
    "broadcast_footer": "Không muốn nhận tin nữa? Gõ \"tắt tin\".",
    "broadcast_report": "Tin #{id} đã gửi xong: {sent}/{total} người nhận được, {blocked} đã chặn bot, {failed} không gửi được.",
    "scope_all": "toàn tỉnh",
    "scope_session": "người đăng ký lớp {session}",
    "origin_province": "tỉnh Lào Cai",
    "cmd_broadcast": "Gửi tin (cán bộ)",
    "cmd_tattin": "Tắt tin của xã/phường",
}
