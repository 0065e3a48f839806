/* cmd-seed.c: `agora seed --products N`: realistic catalogue data, fast. */
#include "common.h"

#include <getopt.h>
#include <math.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "sbuf.h"
#include "search.h"

/*
 * A category: its name as shoppers see it (capitals and spaces included,
 * matched exactly by search), a price range in won, and the nouns its
 * products are called by, in Korean and in English.
 */
struct seed_category {
	const char *name;
	int64_t min_price, max_price;
	const char *ko[4];
	const char *en[4];
};

static const struct seed_category seed_categories[] = {
	{ "Electronics", 9900, 2500000, { "블루투스 스피커", "무선 이어폰",
	  "보조배터리", "스마트워치" }, { "Bluetooth Speaker",
	  "Wireless Earbuds", "Power Bank", "Smartwatch" } },
	{ "Home Appliances", 29000, 4000000, { "냉장고", "세탁기", "공기청정기",
	  "전자레인지" }, { "Refrigerator", "Washing Machine", "Air Purifier",
	  "Microwave" } },
	{ "Computers", 19000, 3500000, { "노트북", "모니터", "키보드",
	  "마우스" }, { "Laptop", "Monitor", "Keyboard", "Mouse" } },
	{ "Mobile Phones", 99000, 2000000, { "스마트폰", "휴대폰 케이스",
	  "충전기", "폴더블폰" }, { "Smartphone", "Phone Case", "Charger",
	  "Foldable Phone" } },
	{ "Cameras", 49000, 5000000, { "미러리스 카메라", "렌즈", "삼각대",
	  "액션캠" }, { "Mirrorless Camera", "Lens", "Tripod",
	  "Action Camera" } },
	{ "Video Games", 9900, 700000, { "게임 타이틀", "게임 패드", "콘솔",
	  "레이싱 휠" }, { "Game Title", "Gamepad", "Console",
	  "Racing Wheel" } },
	{ "Books", 5000, 80000, { "소설", "에세이", "요리책", "만화책" },
	  { "Novel", "Essay Collection", "Cookbook", "Comic Book" } },
	{ "Music", 9000, 1500000, { "LP 레코드", "헤드폰", "통기타",
	  "전자 키보드" }, { "Vinyl Record", "Headphones", "Acoustic Guitar",
	  "Digital Piano" } },
	{ "Kitchen & Dining", 3000, 600000, { "프라이팬", "전기밥솥", "밀폐용기",
	  "커피 머신" }, { "Frying Pan", "Rice Cooker", "Food Container",
	  "Coffee Machine" } },
	{ "Furniture", 19000, 3000000, { "소파", "책상", "의자", "침대 프레임" },
	  { "Sofa", "Desk", "Office Chair", "Bed Frame" } },
	{ "Bedding", 9900, 900000, { "이불", "베개", "매트리스 토퍼",
	  "침대 커버" }, { "Duvet", "Pillow", "Mattress Topper",
	  "Bed Sheet" } },
	{ "Lighting", 5000, 400000, { "스탠드 조명", "LED 전구", "무드등",
	  "천장등" }, { "Desk Lamp", "LED Bulb", "Night Light",
	  "Ceiling Light" } },
	{ "Fashion", 9900, 800000, { "티셔츠", "청바지", "패딩 점퍼", "니트" },
	  { "T-Shirt", "Jeans", "Down Jacket", "Sweater" } },
	{ "Shoes", 19000, 500000, { "운동화", "구두", "슬리퍼", "등산화" },
	  { "Sneakers", "Loafers", "Slippers", "Hiking Boots" } },
	{ "Bags", 9900, 3000000, { "백팩", "토트백", "크로스백", "캐리어" },
	  { "Backpack", "Tote Bag", "Crossbody Bag", "Suitcase" } },
	{ "Jewelry", 19000, 5000000, { "목걸이", "반지", "귀걸이", "팔찌" },
	  { "Necklace", "Ring", "Earrings", "Bracelet" } },
	{ "Watches", 29000, 9000000, { "손목시계", "스마트 밴드", "다이버 시계",
	  "탁상시계" }, { "Wristwatch", "Fitness Band", "Dive Watch",
	  "Desk Clock" } },
	{ "Beauty", 3000, 300000, { "수분 크림", "선크림", "립스틱",
	  "클렌징 폼" }, { "Moisturizer", "Sunscreen", "Lipstick",
	  "Cleansing Foam" } },
	{ "Health", 5000, 1200000, { "비타민", "안마기", "체중계", "혈압계" },
	  { "Vitamins", "Massager", "Bathroom Scale",
	  "Blood Pressure Monitor" } },
	{ "Sports & Outdoors", 5000, 2000000, { "요가 매트", "텐트", "자전거",
	  "덤벨" }, { "Yoga Mat", "Tent", "Bicycle", "Dumbbell" } },
	{ "Toys & Games", 3000, 400000, { "블록 세트", "보드게임", "인형",
	  "RC카" }, { "Building Blocks", "Board Game", "Plush Toy",
	  "RC Car" } },
	{ "Baby", 3000, 1500000, { "유모차", "기저귀", "젖병", "카시트" },
	  { "Stroller", "Diapers", "Baby Bottle", "Car Seat" } },
	{ "Pet Supplies", 2000, 500000, { "사료", "고양이 모래", "강아지 하네스",
	  "캣타워" }, { "Pet Food", "Cat Litter", "Dog Harness",
	  "Cat Tree" } },
	{ "Grocery", 1000, 150000, { "라면", "김치", "생수", "원두커피" },
	  { "Instant Noodles", "Kimchi", "Mineral Water",
	  "Coffee Beans" } },
	{ "Office Products", 500, 300000, { "볼펜", "노트", "파일 정리함",
	  "라벨 프린터" }, { "Ballpoint Pen", "Notebook", "File Organizer",
	  "Label Printer" } },
	{ "Garden", 2000, 800000, { "화분", "물뿌리개", "잔디깎이",
	  "원예 가위" }, { "Flower Pot", "Watering Can", "Lawn Mower",
	  "Pruning Shears" } },
	{ "Tools", 3000, 900000, { "전동 드릴", "공구 세트", "줄자",
	  "드라이버 세트" }, { "Power Drill", "Tool Kit", "Tape Measure",
	  "Screwdriver Set" } },
	{ "Automotive", 5000, 1500000, { "블랙박스", "차량용 충전기", "세차 용품",
	  "타이어" }, { "Dash Cam", "Car Charger", "Car Wash Kit",
	  "Tire" } },
	{ "Travel", 5000, 1200000, { "여행용 파우치", "목베개", "여행 어댑터",
	  "기내용 캐리어" }, { "Travel Pouch", "Neck Pillow",
	  "Travel Adapter", "Carry-on Suitcase" } },
	{ "Stationery", 500, 100000, { "색연필", "만년필", "다이어리", "스티커" },
	  { "Colored Pencils", "Fountain Pen", "Planner",
	  "Sticker Pack" } },
};

static const char *const seed_brands[] = {
	"Samsung", "LG", "Apple", "Sony", "Nike", "Adidas", "Lock&Lock",
	"Cuckoo", "Amorepacific", "Innisfree", "Nongshim", "CJ", "Ottogi",
	"Fila", "New Balance", "Dyson", "Philips", "Xiaomi", "Lenovo", "Asus",
	"Logitech", "Canon", "IKEA", "Hanssem", "Monami", "Lego", "Coway",
	"Winia", "Kakao Friends", "Muji", "Daiso", "Sempio",
};

static const char *const seed_adj_ko[] = {
	"초경량", "프리미엄", "가성비", "휴대용", "대용량", "미니", "친환경",
	"고급형", "신형", "스마트",
};
static const char *const seed_adj_en[] = {
	"Ultra-Light", "Premium", "Compact", "Portable", "Classic", "Pro",
	"Eco", "Deluxe", "Smart", "Essential",
};
static const char *const seed_feat_ko[] = {
	"매일 쓰기 좋은 제품입니다.", "선물용으로 인기가 많습니다.",
	"오래 써도 튼튼합니다.", "가볍고 보관이 쉽습니다.",
	"무료 배송, 1년 품질 보증.", "리뷰 평점이 높은 베스트셀러입니다.",
};
static const char *const seed_feat_en[] = {
	"Built for everyday use.", "A popular gift.",
	"Durable and easy to clean.", "Light and easy to store.",
	"Free shipping and a one-year warranty.",
	"A best seller with top reviews.",
};

/* splitmix64: small, fast and the same sequence for the same --seed. */
static uint64_t seed_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t seed_pick(uint64_t *s, size_t n)
{
	return (size_t)(seed_next(s) % n);
}

/* Prices spread log-uniformly over the category's range and end in 00
 * won, or 900 like a shop's 19,900. */
static int64_t seed_price(uint64_t *s, const struct seed_category *c)
{
	double u = (double)(seed_next(s) >> 11) / (double)(1ULL << 53);
	double p = c->min_price * pow(c->max_price / (double)c->min_price, u);
	int64_t won = (int64_t)p / 100 * 100;

	if (won >= 10000 && seed_pick(s, 2))
		won = won / 1000 * 1000 + 900;
	return won < c->min_price ? c->min_price : won;
}

/*
 * Rows per INSERT. PostgreSQL gains from large batches (one round trip
 * each); SQLite binds "$N" by name, a lookup that grows with the number of
 * parameters, so it takes small batches of one cached statement.
 */
#define SEED_BATCH_PG 250
#define SEED_BATCH_SQLITE 16
#define SEED_BATCH SEED_BATCH_PG
#define SEED_COLS 8
/* PostgreSQL: and the search tsvector, which agora's analyzer computes. */
#define SEED_COLS_PG 9

struct seed_row {
	char name[256];
	char desc[512];
	char created[32];
	const char *category, *brand, *status;
	int64_t price;
	struct sbuf tsv;
};

static void seed_make(uint64_t *s, struct seed_row *r, time_t when)
{
	const struct seed_category *c =
		&seed_categories[seed_pick(s, ARRAY_SIZE(seed_categories))];
	const char *brand = seed_brands[seed_pick(s, ARRAY_SIZE(seed_brands))];
	bool ko = seed_pick(s, 2);
	const char *noun = ko ? c->ko[seed_pick(s, 4)] : c->en[seed_pick(s, 4)];
	const char *adj = ko ? seed_adj_ko[seed_pick(s, 10)]
			     : seed_adj_en[seed_pick(s, 10)];
	const char *feat = ko ? seed_feat_ko[seed_pick(s, 6)]
			      : seed_feat_en[seed_pick(s, 6)];
	struct tm tm;

	snprintf(r->name, sizeof(r->name), "%s %s %s %c%u", brand, adj, noun,
		 (char)('A' + seed_pick(s, 26)),
		 (unsigned)(100 + seed_pick(s, 900)));
	if (ko)
		snprintf(r->desc, sizeof(r->desc),
			 "%s의 %s %s. %s", brand, adj, noun, feat);
	else
		snprintf(r->desc, sizeof(r->desc),
			 "The %s %s from %s. %s", adj, noun, brand, feat);
	r->category = c->name;
	r->brand = brand;
	r->price = seed_price(s, c);
	r->status = seed_pick(s, 20) ? "ACTIVE" : "INACTIVE";
	gmtime_r(&when, &tm);
	strftime(r->created, sizeof(r->created), "%Y-%m-%dT%H:%M:%S.000Z",
		 &tm);
}

/* INSERT … VALUES ($1,…,$8), ($9,…) for n rows of cols columns; the text
 * is the same for every full batch, so the statement cache prepares it
 * once. */
static void seed_sql(struct sbuf *sql, size_t n, size_t cols)
{
	size_t i, j;

	sbuf_reset(sql);
	sbuf_addf(sql, "INSERT INTO products (name, description, category, "
		  "brand, price, status, created_at, updated_at%s) VALUES ",
		  cols == SEED_COLS_PG ? ", search" : "");
	for (i = 0; i < n; i++) {
		sbuf_addstr(sql, i ? ", (" : "(");
		for (j = 1; j <= cols; j++)
			sbuf_addf(sql, "$%zu%s%s", i * cols + j,
				  j == SEED_COLS_PG ? "::tsvector" : "",
				  j < cols ? ", " : ")");
	}
}

/* seed_products: n rows in one transaction; a progress bar on stderr
 * after each batch when tty. */
static int seed_products(struct db *db, int64_t n, uint64_t seed, bool tty,
			 struct err *e)
{
	struct seed_row *rows = xcalloc(SEED_BATCH, sizeof(*rows));
	struct db_param *params =
		xcalloc(SEED_BATCH * SEED_COLS_PG, sizeof(*params));
	struct sbuf sql = SBUF_INIT;
	time_t now = time(NULL);
	size_t b, k, sqln = 0, batch = db_dialect(db) == DB_POSTGRES ?
		SEED_BATCH_PG : SEED_BATCH_SQLITE;
	size_t cols = db_dialect(db) == DB_POSTGRES ? SEED_COLS_PG : SEED_COLS;
	struct db_res *res = NULL;
	int64_t done = 0, last;
	int ret = -1;

	for (b = 0; b < SEED_BATCH; b++)
		sbuf_init(&rows[b].tsv, 0, 0);
	/* The indexes take rows in random order: a cache that holds them
	 * (64 MiB, this connection only) keeps the load off the disk. */
	if ((db_dialect(db) == DB_SQLITE &&
	     db_query(db, NULL, "PRAGMA cache_size = -65536", DB_NOARGS,
		      e) < 0) ||
	    db_begin(db, e) < 0)
		goto out;
	/* The vocabulary counts the new products' words once, at the end
	 * (products written meanwhile by others would be counted twice:
	 * seed a catalogue nobody else is writing). */
	if (db_query(db, &res, "SELECT coalesce(max(id), 0) FROM products",
		     DB_NOARGS, e) < 0 || search_vocab_pause(db, e) < 0)
		goto out;
	/* A bulk load is no request: counting a million products' words
	 * takes longer than a request's statement timeout. */
	if (db_dialect(db) == DB_POSTGRES &&
	    db_query(db, NULL, "SET LOCAL statement_timeout = 0", DB_NOARGS,
		     e) < 0)
		goto out;
	last = db_res_int(res, 0, 0);
	while (done < n) {
		b = n - done < (int64_t)batch ? (size_t)(n - done) : batch;
		/* one product a minute up to now: ids and created_at agree */
		for (k = 0; k < b; k++) {
			struct seed_row *r = &rows[k];
			struct db_param *p = &params[k * cols];

			seed_make(&seed, r,
				  now - (time_t)(n - done - (int64_t)k) * 60);
			p[0] = DB_S(r->name);
			p[1] = DB_S(r->desc);
			p[2] = DB_S(r->category);
			p[3] = DB_S(r->brand);
			p[4] = DB_I(r->price);
			p[5] = DB_S(r->status);
			p[6] = DB_S(r->created);
			p[7] = DB_S(r->created);
			if (cols == SEED_COLS_PG) {
				sbuf_reset(&r->tsv);
				search_doc_tsvector(&r->tsv, r->name, r->desc);
				p[8] = DB_S(r->tsv.buf);
			}
		}
		if (b != sqln) {
			seed_sql(&sql, b, cols);
			sqln = b;
		}
		if (db_query(db, NULL, sql.buf, params, b * cols, e) < 0)
			goto out;
		done += (int64_t)b;
		if (tty)
			cmd_progress("seed", done, n);
	}
	if (tty)
		fputs("\n", stderr);
	if (search_vocab_resume(db, last, e) < 0 || db_commit(db, e) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		db_rollback(db);
	if (res)
		db_res_free(res);
	sbuf_release(&sql);
	free(params);
	for (b = 0; b < SEED_BATCH; b++)
		sbuf_release(&rows[b].tsv);
	free(rows);
	return ret;
}

static const char seed_usage[] =
	"usage: agora seed --products N [--seed S]\n"
	"\n"
	"Add N generated products (Korean and English names, 30 categories,\n"
	"32 brands, 5 % INACTIVE) in one transaction, with a progress bar\n"
	"when stderr is a terminal. The same S gives the same products. No\n"
	"outbox events: with Elasticsearch, run agora reindex afterwards.\n"
	"\n"
	"  --products N      how many, 1 to 100000000\n"
	"  --seed S          the generator's seed (default 1)\n"
	"  -h, --help        show this help\n";

/*
 * A bulk seed writes no outbox events: a million PRODUCT_UPSERTED rows
 * would only be replayed one by one into Elasticsearch, which `agora
 * reindex` loads in bulk instead.
 */
int cmd_seed(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "products", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct err e = ERR_INIT;
	struct cfg c;
	struct db *db;
	int64_t n = -1;
	uint64_t seed = 1;
	char *end;
	double t0, ms;
	int opt, ret = 1;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			errno = 0;
			n = strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg || n < 1 ||
			    n > 100000000)
				return cmd_usage_error(seed_usage, "seed: "
						       "--products must be an "
						       "integer between 1 and "
						       "100000000");
			break;
		case 's':
			errno = 0;
			seed = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg || *optarg == '-')
				return cmd_usage_error(seed_usage, "seed: "
						       "--seed must be an "
						       "integer");
			break;
		case 'h':
			return cmd_help(seed_usage);
		default:
			return cmd_usage_error(seed_usage, "seed: bad option "
					       "'%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cmd_usage_error(seed_usage, "seed: unexpected argument "
				       "'%s'", argv[optind]);
	if (n < 0)
		return cmd_usage_error(seed_usage, "seed: --products is "
				       "required");
	db = cmd_setup(&c, "seed");
	t0 = clock_ms();
	if (seed_products(db, n, seed, isatty(STDERR_FILENO), &e) < 0) {
		fprintf(stderr, "agora seed: %s\n", e.msg);
		goto out;
	}
	ms = clock_ms() - t0;
	printf("agora: %" PRId64 " products seeded in %.0f ms (%.0f rows/s)\n",
	       n, ms, ms > 0 ? n * 1000.0 / ms : 0.0);
	if (c.elasticsearch_node[0])
		printf("agora: run `agora reindex` to load them into "
		       "Elasticsearch\n");
	ret = 0;
out:
	err_release(&e);
	db_free(db);
	cfg_release(&c);
	return ret;
}
