"""The questions simulated users ask in the throughput benches: accented, unaccented, off-topic."""

QUESTIONS = ["id.vn là gì", "e 19t dk ten mien id.vn co mat tien ko", "biz.vn có miễn phí không",
             "nghị quyết 57 là gì", "ngay chuyen doi so quoc gia", "gia vang hom nay"]
