"""Banyuwangi warungs for development: menus, hours, drawn photos, and a few homestays.

Idempotent: a warung that exists (by slug) is left alone. Photos are drawn with Pillow here,
nothing is downloaded.
"""

from __future__ import annotations

import random
import zlib

from PIL import Image, ImageDraw
from sqlalchemy import select

from portal.accounts.demo import DEMO_PASSWORD
from portal.accounts.models import Role
from portal.accounts.services import find_by_email, grant_role, register
from portal.database import utcnow
from portal.extensions import db
from portal.food.models import Dish, OpeningPeriod, Warung, WarungStatus
from portal.food.photos import store_image
from portal.food.services import parse_periods

# Where tourists stay: the checkout offers these as one-tap addresses.
HOMESTAYS = [
    {
        "name": "Osing Kemiren Homestay",
        "address": "Osing Kemiren Homestay, Jl. Barong, Kemiren, Glagah",
        "lat": -8.2127,
        "lng": 114.3204,
    },
    {
        "name": "Pondok Ijen Homestay",
        "address": "Pondok Ijen Homestay, Jl. Ijen, Licin",
        "lat": -8.1688,
        "lng": 114.2805,
    },
    {
        "name": "Rumah Blambangan Guesthouse",
        "address": "Rumah Blambangan Guesthouse, Jl. Dr. Sutomo 8, Kepatihan, Banyuwangi",
        "lat": -8.2142,
        "lng": 114.3715,
    },
    {
        "name": "Hotel Pantai Boom",
        "address": "Hotel Pantai Boom, Jl. Pantai Boom, Kampung Mandar, Banyuwangi",
        "lat": -8.2035,
        "lng": 114.3845,
    },
]

EVERY_DAY = range(7)

# (slug, name, owner email, address, lat, lng, hours, (description, description_en),
#  dishes[(name, name_en, price, category, description)]): categories and dish descriptions are
#  written in Indonesian here and put into English by CATEGORIES_EN and DESCRIPTIONS_EN below.
WARUNGS = [
    (
        "sego-tempong-bu-sri",
        "Warung Sego Tempong Bu Sri",
        "owner@example.com",
        "Jl. Kepiting 12, Lateng, Banyuwangi",
        -8.2089,
        114.3752,
        "06:00-14:00, 16:00-02:00",
        (
            "Sego tempong dengan sambal yang 'nampol': klasik Banyuwangi sejak 1998.",
            "Sego tempong with sambal that 'slaps' — the Banyuwangi classic since 1998.",
        ),
        [
            (
                "Sego Tempong Komplit",
                "Sego tempong, complete",
                22000,
                "Nasi",
                "Nasi, sayur rebus, tempe, tahu, ikan asin, sambal tomat mentah.",
            ),
            (
                "Sego Tempong Ayam Goreng",
                "Sego tempong with fried chicken",
                28000,
                "Nasi",
                "Dengan ayam kampung goreng.",
            ),
            ("Sego Tempong Ikan Pe", "Sego tempong with smoked stingray", 26000, "Nasi", "Ikan pe asap, pedas."),
            (
                "Rujak Soto",
                "Rujak soto (vegetable rujak in beef soup)",
                24000,
                "Nasi",
                "Resep ibu Bu Sri, kuah soto daging.",
            ),
            ("Tempe Mendoan", "Mendoan tempeh fritters", 8000, "Lauk", "Tiga potong."),
            ("Es Teh Manis", "Sweet iced tea", 5000, "Minuman", ""),
            ("Es Temulawak", "Iced Javanese ginger drink", 8000, "Minuman", "Segar, khas Banyuwangi."),
        ],
    ),
    (
        "rujak-soto-mbok-nah",
        "Rujak Soto Mbok Nah",
        "rujak@example.com",
        "Jl. Adi Sucipto 41, Sobo, Banyuwangi",
        -8.2255,
        114.3601,
        "09:00-16:00",
        (
            "Rujak cingur bertemu soto daging: pasangan tak biasa kesayangan Banyuwangi.",
            "Rujak cingur meets soto daging: the odd couple Banyuwangi loves.",
        ),
        [
            ("Rujak Soto Daging", "Rujak soto with beef", 25000, "Rujak", "Rujak sayur dengan kuah soto daging."),
            ("Rujak Soto Babat", "Rujak soto with tripe", 25000, "Rujak", ""),
            ("Rujak Cingur", "Rujak with cow snout", 20000, "Rujak", "Petis hitam, cingur, sayur, lontong."),
            ("Rujak Buah", "Fruit rujak", 12000, "Rujak", ""),
            ("Es Dawet Ayu", "Dawet rice-flour jelly drink", 7000, "Minuman", ""),
        ],
    ),
    (
        "pecel-rawon-pak-amir",
        "Pecel Rawon Pak Amir",
        "pecel@example.com",
        "Jl. PB Sudirman 88, Penganjuran, Banyuwangi",
        -8.2301,
        114.3587,
        "17:00-03:00",
        (
            "Warung malam: pecel disiram seciduk kuah rawon hitam, buka sampai pukul tiga pagi.",
            "Night warung: pecel with a ladle of black rawon broth, until three in the morning.",
        ),
        [
            ("Pecel Rawon", "Pecel with rawon beef soup", 24000, "Nasi", "Nasi pecel disiram kuah rawon."),
            ("Rawon Daging", "Rawon beef soup with rice", 27000, "Nasi", ""),
            ("Pecel Pincuk", "Pecel in a banana-leaf cone", 15000, "Nasi", ""),
            ("Telur Asin", "Salted egg", 5000, "Lauk", ""),
            ("Kerupuk Udang", "Prawn crackers", 3000, "Lauk", ""),
            ("Kopi Using", "Osing coffee", 6000, "Minuman", "Kopi robusta Kemiren."),
        ],
    ),
    (
        "nasi-cawuk-mak-ti",
        "Nasi Cawuk Mak Ti",
        "cawuk@example.com",
        "Pasar Pagi Singonegaran, Banyuwangi",
        -8.2163,
        114.3666,
        "05:00-10:00",
        (
            "Sarapan cara Osing: nasi cawuk dengan parutan kelapa muda dan kuah jagung.",
            "Breakfast the Osing way: nasi cawuk with grated young coconut and jagung sauce.",
        ),
        [
            ("Nasi Cawuk Telur", "Nasi cawuk with egg", 12000, "Nasi", "Kuah kelapa muda, jagung, telur pindang."),
            ("Nasi Cawuk Ikan Pindang", "Nasi cawuk with pindang fish", 14000, "Nasi", ""),
            ("Pisang Goreng", "Fried banana", 6000, "Jajanan", ""),
            ("Teh Tubruk", "Tubruk tea", 4000, "Minuman", ""),
        ],
    ),
    (
        "pindang-koyong-bu-yati",
        "Pindang Koyong Bu Yati",
        "pindang@example.com",
        "Jl. Raya Muncar 17, Tembokrejo, Muncar",
        -8.4375,
        114.3349,
        "08:00-15:00, 18:00-21:00",
        (
            "Ikan segar dari pelabuhan Muncar dalam kuah koyong yang asam dan pedas.",
            "Fresh fish from Muncar harbour in sour, spicy koyong broth.",
        ),
        [
            ("Pindang Koyong Ikan Tongkol", "Tuna in sour spicy broth", 23000, "Ikan", ""),
            ("Pindang Koyong Kepala Ikan", "Fish-head pindang koyong", 30000, "Ikan", ""),
            ("Nasi Putih", "Steamed rice", 5000, "Nasi", ""),
            ("Sambal Terasi", "Shrimp-paste chilli", 3000, "Lauk", ""),
            ("Es Jeruk", "Iced orange", 7000, "Minuman", ""),
        ],
    ),
    (
        "ayam-pedas-kemiren",
        "Ayam Pedas Kemiren",
        "ayam@example.com",
        "Jl. Barong 3, Kemiren, Glagah",
        -8.2119,
        114.3197,
        "10:00-22:00",
        (
            "Ayam kampung berbumbu cabai merah, gaya desa Osing.",
            "Kampung chicken in a red chilli sauce, Osing village style.",
        ),
        [
            ("Ayam Pedas Setengah", "Spicy chicken, half", 45000, "Ayam", "Ayam kampung, bumbu pedas merah."),
            ("Ayam Pedas Seperempat", "Spicy chicken, quarter", 25000, "Ayam", ""),
            ("Pecel Pithik", "Pecel pithik (shredded chicken, coconut)", 35000, "Ayam", "Hidangan adat Osing."),
            ("Nasi Putih", "Steamed rice", 5000, "Nasi", ""),
            ("Wedang Jahe", "Ginger tea", 6000, "Minuman", ""),
        ],
    ),
    (
        "kue-bagiak-cahaya",
        "Kue Bagiak Cahaya",
        "bagiak@example.com",
        "Jl. Jaksa Agung Suprapto 60, Banyuwangi",
        -8.2198,
        114.3702,
        "08:00-17:00",
        (
            "Kue bagiak sagu yang renyah khas Banyuwangi dan oleh-oleh lainnya.",
            "Banyuwangi's crunchy sago biscuits and other oleh-oleh.",
        ),
        [
            ("Kue Bagiak Original", "Bagiak biscuits, original", 18000, "Jajanan", "Satu kotak."),
            ("Kue Bagiak Susu", "Bagiak biscuits, milk", 20000, "Jajanan", ""),
            ("Sale Pisang", "Dried banana", 15000, "Jajanan", ""),
            ("Kacang Asin", "Salted peanuts", 12000, "Jajanan", ""),
        ],
    ),
    (
        "sego-janganan-mbah-tun",
        "Sego Janganan Mbah Tun",
        "janganan@example.com",
        "Jl. Kolonel Sugiono 22, Giri, Banyuwangi",
        -8.2072,
        114.3502,
        "06:00-13:00",
        (
            "Nasi dengan sayur berbumbu kacang, dimasak seperti buatan nenek.",
            "Rice with vegetables in peanut sauce, the way grandmothers cook it.",
        ),
        [
            ("Sego Janganan", "Rice with vegetables and peanut sauce", 12000, "Nasi", ""),
            ("Sego Janganan Telur", "Sego janganan with egg", 15000, "Nasi", ""),
            ("Botok Tawon", "Bee larvae botok", 10000, "Lauk", "Khas Banyuwangi, musiman."),
            ("Es Teh", "Iced tea", 4000, "Minuman", ""),
        ],
    ),
    (
        "bakso-ijen-pak-man",
        "Bakso & Mie Ayam Ijen Pak Man",
        "bakso@example.com",
        "Jl. Ijen, Licin (km 12)",
        -8.1702,
        114.2831,
        "11:00-21:00",
        ("Semangkuk hangat di jalan naik ke Ijen.", "Warm bowls on the road up to Ijen."),
        [
            ("Bakso Urat", "Beef meatball soup", 18000, "Mie", ""),
            ("Mie Ayam", "Chicken noodles", 15000, "Mie", ""),
            ("Mie Ayam Bakso", "Chicken noodles with meatballs", 20000, "Mie", ""),
            ("Es Campur", "Mixed ice", 10000, "Minuman", ""),
        ],
    ),
]

# One newcomer that waits for the admin's verification.
PENDING = (
    "warung-kopi-using-gandrung",
    "Warung Kopi Using Gandrung",
    "kopi@example.com",
    "Jl. Gandrung 5, Temenggungan",
    -8.2180,
    114.3642,
    "07:00-22:00",
    ("Kopi Using dan gorengan.", "Osing coffee and fried snacks."),
    [("Kopi Using", "Osing coffee", 6000, "Minuman", "")],
)

CATEGORIES_EN = {
    "Nasi": "Rice",
    "Lauk": "Side dishes",
    "Minuman": "Drinks",
    "Jajanan": "Snacks",
    "Rujak": "Rujak",
    "Ikan": "Fish",
    "Ayam": "Chicken",
    "Mie": "Noodles",
}

DESCRIPTIONS_EN = {
    "Nasi, sayur rebus, tempe, tahu, ikan asin, sambal tomat mentah.": (
        "Rice, boiled greens, tempeh, tofu, salted fish, raw tomato sambal."
    ),
    "Dengan ayam kampung goreng.": "With fried free-range chicken.",
    "Ikan pe asap, pedas.": "Smoked stingray, spicy.",
    "Resep ibu Bu Sri, kuah soto daging.": "Bu Sri's mother's recipe, in beef soto broth.",
    "Tiga potong.": "Three pieces.",
    "Segar, khas Banyuwangi.": "Refreshing, a Banyuwangi speciality.",
    "Rujak sayur dengan kuah soto daging.": "Vegetable rujak in beef soto broth.",
    "Petis hitam, cingur, sayur, lontong.": "Black petis paste, cow snout, vegetables, rice cake.",
    "Nasi pecel disiram kuah rawon.": "Pecel rice under a ladle of rawon broth.",
    "Kopi robusta Kemiren.": "Robusta coffee from Kemiren.",
    "Kuah kelapa muda, jagung, telur pindang.": "Young-coconut broth, corn, spiced boiled egg.",
    "Ayam kampung, bumbu pedas merah.": "Free-range chicken in red chilli paste.",
    "Hidangan adat Osing.": "A traditional Osing dish.",
    "Satu kotak.": "One box.",
    "Khas Banyuwangi, musiman.": "A Banyuwangi speciality, in season.",
}

PALETTES = {
    "Nasi": ((250, 245, 235), (245, 160, 60)),
    "Minuman": ((220, 238, 250), (120, 80, 40)),
    "Jajanan": ((250, 236, 210), (190, 120, 50)),
    "Rujak": ((240, 250, 230), (120, 70, 40)),
    "Ikan": ((230, 242, 248), (210, 90, 40)),
    "Ayam": ((252, 238, 228), (200, 40, 30)),
    "Mie": ((250, 246, 225), (230, 190, 90)),
    "Lauk": ((245, 240, 230), (170, 110, 40)),
}


def draw_dish(seed: str, category: str, size: int = 480) -> Image.Image:
    """A plate seen from above, with blobs of food in the category's colours."""
    rng = random.Random(seed)
    background, food_colour = PALETTES.get(category, ((245, 240, 235), (200, 120, 60)))
    image = Image.new("RGB", (size, size), (120 + rng.randint(0, 60), 90 + rng.randint(0, 40), 60))
    draw = ImageDraw.Draw(image)
    margin = size // 10
    draw.ellipse((margin, margin, size - margin, size - margin), fill=(248, 248, 244), outline=(210, 210, 205), width=6)
    draw.ellipse((margin * 2, margin * 2, size - margin * 2, size - margin * 2), fill=background)
    for _ in range(14):
        r = rng.randint(size // 20, size // 8)
        x, y = rng.randint(size // 3, size * 2 // 3), rng.randint(size // 3, size * 2 // 3)
        shade = tuple(max(0, min(255, c + rng.randint(-35, 35))) for c in food_colour)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=shade)
    draw.ellipse((size * 0.62, size * 0.22, size * 0.78, size * 0.38), fill=(200, 30, 30))  # sambal
    return image


def draw_warung(seed: str, width: int = 720, height: int = 480) -> Image.Image:
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height), (135, 190, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 0.7, width, height), fill=(120, 110, 100))
    wall = (230 - rng.randint(0, 40), 200 - rng.randint(0, 40), 150)
    draw.rectangle((width * 0.15, height * 0.35, width * 0.85, height * 0.75), fill=wall)
    draw.polygon(
        [(width * 0.1, height * 0.38), (width * 0.5, height * 0.12), (width * 0.9, height * 0.38)], fill=(170, 60, 40)
    )
    stripe = (rng.randint(30, 200), rng.randint(80, 160), rng.randint(40, 120))
    for i in range(8):
        x = width * 0.15 + i * width * 0.7 / 8
        draw.rectangle((x, height * 0.35, x + width * 0.7 / 16, height * 0.42), fill=stripe)
    draw.rectangle((width * 0.42, height * 0.5, width * 0.58, height * 0.75), fill=(90, 60, 40))
    return image


def _owner(email: str, name: str):
    user = find_by_email(email) or register(name=name, email=email, phone_e164=_phone(email), password=DEMO_PASSWORD)
    grant_role(user, Role.OWNER)
    return user


def _phone(email: str) -> str:
    return "+628119" + f"{zlib.crc32(email.encode()) % 10_000_000:07d}"


def _seed_warung(spec, status: WarungStatus) -> None:
    slug, name, email, address, lat, lng, hours, (description, description_en), dishes = spec
    existing = db.session.scalar(select(Warung).where(Warung.slug == slug))
    if existing is not None:
        _add_english(existing, description, description_en)
        return
    owner = _owner(email, name.replace("Warung ", ""))
    if db.session.scalar(select(Warung.id).where(Warung.owner_id == owner.id)):
        return
    warung = Warung(
        owner_id=owner.id,
        slug=slug,
        name=name,
        description=description,
        description_en=description_en,
        address=address,
        lat=lat,
        lng=lng,
        phone=owner.phone,
        status=status,
        verified_at=utcnow() if status == WarungStatus.VERIFIED else None,
        photo=store_image(draw_warung(slug)),
    )
    for day in EVERY_DAY:
        for opens, closes in parse_periods(hours):
            warung.periods.append(OpeningPeriod(weekday=day, opens=opens, closes=closes))
    for position, (dish_name, name_en, price, category, text) in enumerate(dishes, start=1):
        warung.dishes.append(
            Dish(
                name=dish_name,
                name_en=name_en,
                description=text,
                description_en=DESCRIPTIONS_EN.get(text, ""),
                price=price,
                category=category,
                category_en=CATEGORIES_EN.get(category, ""),
                position=position,
                photo=store_image(draw_dish(f"{slug}-{position}", category, 400)),
            )
        )
    db.session.add(warung)
    db.session.flush()


def _add_english(warung: Warung, description: str, description_en: str) -> None:
    """A demo database seeded before the warung description and categories had two languages:
    give its demo warungs theirs (only what is still as the old seed left it; an edit stays)."""
    if not warung.description_en and warung.description in ("", description_en):
        warung.description, warung.description_en = description, description_en
    for dish in warung.dishes:
        if not dish.category_en and dish.category in CATEGORIES_EN:
            dish.category_en = CATEGORIES_EN[dish.category]
        if not dish.description_en and dish.description in DESCRIPTIONS_EN:
            dish.description_en = DESCRIPTIONS_EN[dish.description]
    db.session.flush()


def seed() -> None:
    for spec in WARUNGS:
        _seed_warung(spec, WarungStatus.VERIFIED)
    _seed_warung(PENDING, WarungStatus.PENDING)
