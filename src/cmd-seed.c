/* cmd-seed.c: `agora seed --products N`: realistic catalogue data, fast. */
#include "common.h"

#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "col.h"
#include "clock.h"
#include "cmd.h"
#include "log.h"
#include "postings.h"
#include "product.h"
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
	{ "Electronics",
	  9900,
	  2500000,
	  { "블루투스 스피커", "무선 이어폰", "보조배터리", "스마트워치" },
	  { "Bluetooth Speaker", "Wireless Earbuds", "Power Bank",
	    "Smartwatch" } },
	{ "Home Appliances",
	  29000,
	  4000000,
	  { "냉장고", "세탁기", "공기청정기", "전자레인지" },
	  { "Refrigerator", "Washing Machine", "Air Purifier", "Microwave" } },
	{ "Computers",
	  19000,
	  3500000,
	  { "노트북", "모니터", "키보드", "마우스" },
	  { "Laptop", "Monitor", "Keyboard", "Mouse" } },
	{ "Mobile Phones",
	  99000,
	  2000000,
	  { "스마트폰", "휴대폰 케이스", "충전기", "폴더블폰" },
	  { "Smartphone", "Phone Case", "Charger", "Foldable Phone" } },
	{ "Cameras",
	  49000,
	  5000000,
	  { "미러리스 카메라", "렌즈", "삼각대", "액션캠" },
	  { "Mirrorless Camera", "Lens", "Tripod", "Action Camera" } },
	{ "Video Games",
	  9900,
	  700000,
	  { "게임 타이틀", "게임 패드", "콘솔", "레이싱 휠" },
	  { "Game Title", "Gamepad", "Console", "Racing Wheel" } },
	{ "Books",
	  5000,
	  80000,
	  { "소설", "에세이", "요리책", "만화책" },
	  { "Novel", "Essay Collection", "Cookbook", "Comic Book" } },
	{ "Music",
	  9000,
	  1500000,
	  { "LP 레코드", "헤드폰", "통기타", "전자 키보드" },
	  { "Vinyl Record", "Headphones", "Acoustic Guitar",
	    "Digital Piano" } },
	{ "Kitchen & Dining",
	  3000,
	  600000,
	  { "프라이팬", "전기밥솥", "밀폐용기", "커피 머신" },
	  { "Frying Pan", "Rice Cooker", "Food Container", "Coffee Machine" } },
	{ "Furniture",
	  19000,
	  3000000,
	  { "소파", "책상", "의자", "침대 프레임" },
	  { "Sofa", "Desk", "Office Chair", "Bed Frame" } },
	{ "Bedding",
	  9900,
	  900000,
	  { "이불", "베개", "매트리스 토퍼", "침대 커버" },
	  { "Duvet", "Pillow", "Mattress Topper", "Bed Sheet" } },
	{ "Lighting",
	  5000,
	  400000,
	  { "스탠드 조명", "LED 전구", "무드등", "천장등" },
	  { "Desk Lamp", "LED Bulb", "Night Light", "Ceiling Light" } },
	{ "Fashion",
	  9900,
	  800000,
	  { "티셔츠", "청바지", "패딩 점퍼", "니트" },
	  { "T-Shirt", "Jeans", "Down Jacket", "Sweater" } },
	{ "Shoes",
	  19000,
	  500000,
	  { "운동화", "구두", "슬리퍼", "등산화" },
	  { "Sneakers", "Loafers", "Slippers", "Hiking Boots" } },
	{ "Bags",
	  9900,
	  3000000,
	  { "백팩", "토트백", "크로스백", "캐리어" },
	  { "Backpack", "Tote Bag", "Crossbody Bag", "Suitcase" } },
	{ "Jewelry",
	  19000,
	  5000000,
	  { "목걸이", "반지", "귀걸이", "팔찌" },
	  { "Necklace", "Ring", "Earrings", "Bracelet" } },
	{ "Watches",
	  29000,
	  9000000,
	  { "손목시계", "스마트 밴드", "다이버 시계", "탁상시계" },
	  { "Wristwatch", "Fitness Band", "Dive Watch", "Desk Clock" } },
	{ "Beauty",
	  3000,
	  300000,
	  { "수분 크림", "선크림", "립스틱", "클렌징 폼" },
	  { "Moisturizer", "Sunscreen", "Lipstick", "Cleansing Foam" } },
	{ "Health",
	  5000,
	  1200000,
	  { "비타민", "안마기", "체중계", "혈압계" },
	  { "Vitamins", "Massager", "Bathroom Scale",
	    "Blood Pressure Monitor" } },
	{ "Sports & Outdoors",
	  5000,
	  2000000,
	  { "요가 매트", "텐트", "자전거", "덤벨" },
	  { "Yoga Mat", "Tent", "Bicycle", "Dumbbell" } },
	{ "Toys & Games",
	  3000,
	  400000,
	  { "블록 세트", "보드게임", "인형", "RC카" },
	  { "Building Blocks", "Board Game", "Plush Toy", "RC Car" } },
	{ "Baby",
	  3000,
	  1500000,
	  { "유모차", "기저귀", "젖병", "카시트" },
	  { "Stroller", "Diapers", "Baby Bottle", "Car Seat" } },
	{ "Pet Supplies",
	  2000,
	  500000,
	  { "사료", "고양이 모래", "강아지 하네스", "캣타워" },
	  { "Pet Food", "Cat Litter", "Dog Harness", "Cat Tree" } },
	{ "Grocery",
	  1000,
	  150000,
	  { "라면", "김치", "생수", "원두커피" },
	  { "Instant Noodles", "Kimchi", "Mineral Water", "Coffee Beans" } },
	{ "Office Products",
	  500,
	  300000,
	  { "볼펜", "노트", "파일 정리함", "라벨 프린터" },
	  { "Ballpoint Pen", "Notebook", "File Organizer", "Label Printer" } },
	{ "Garden",
	  2000,
	  800000,
	  { "화분", "물뿌리개", "잔디깎이", "원예 가위" },
	  { "Flower Pot", "Watering Can", "Lawn Mower", "Pruning Shears" } },
	{ "Tools",
	  3000,
	  900000,
	  { "전동 드릴", "공구 세트", "줄자", "드라이버 세트" },
	  { "Power Drill", "Tool Kit", "Tape Measure", "Screwdriver Set" } },
	{ "Automotive",
	  5000,
	  1500000,
	  { "블랙박스", "차량용 충전기", "세차 용품", "타이어" },
	  { "Dash Cam", "Car Charger", "Car Wash Kit", "Tire" } },
	{ "Travel",
	  5000,
	  1200000,
	  { "여행용 파우치", "목베개", "여행 어댑터", "기내용 캐리어" },
	  { "Travel Pouch", "Neck Pillow", "Travel Adapter",
	    "Carry-on Suitcase" } },
	{ "Stationery",
	  500,
	  100000,
	  { "색연필", "만년필", "다이어리", "스티커" },
	  { "Colored Pencils", "Fountain Pen", "Planner", "Sticker Pack" } },
};

static const char *const seed_brands[] = {
	"Samsung",  "LG",	 "Apple",  "Sony",	    "Nike",
	"Adidas",   "Lock&Lock", "Cuckoo", "Amorepacific",  "Innisfree",
	"Nongshim", "CJ",	 "Ottogi", "Fila",	    "New Balance",
	"Dyson",    "Philips",	 "Xiaomi", "Lenovo",	    "Asus",
	"Logitech", "Canon",	 "IKEA",   "Hanssem",	    "Monami",
	"Lego",	    "Coway",	 "Winia",  "Kakao Friends", "Muji",
	"Daiso",    "Sempio",
};

static const char *const seed_adj_ko[] = {
	"초경량", "프리미엄", "가성비", "휴대용", "대용량",
	"미니",	  "친환경",   "고급형", "신형",	  "스마트",
};
static const char *const seed_adj_en[] = {
	"Ultra-Light", "Premium", "Compact", "Portable", "Classic",
	"Pro",	       "Eco",	  "Deluxe",  "Smart",	 "Essential",
};
static const char *const seed_feat_ko[] = {
	"매일 쓰기 좋은 제품입니다.", "선물용으로 인기가 많습니다.",
	"오래 써도 튼튼합니다.",      "가볍고 보관이 쉽습니다.",
	"무료 배송, 1년 품질 보증.",  "리뷰 평점이 높은 베스트셀러입니다.",
};
static const char *const seed_feat_en[] = {
	"Built for everyday use.",
	"A popular gift.",
	"Durable and easy to clean.",
	"Light and easy to store.",
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

struct seed_row {
	char name[256];
	char desc[512];
	char created[32]; /* SQLite's: seed_created() */
	time_t when; /* created, as a time */
	const char *category, *brand, *status;
	size_t category_i, brand_i; /* into seed_categories, seed_brands */
	int64_t price;
};

static void seed_make(uint64_t *s, struct seed_row *r, time_t when)
{
	size_t ci = seed_pick(s, ARRAY_SIZE(seed_categories));
	size_t bi = seed_pick(s, ARRAY_SIZE(seed_brands));
	const struct seed_category *c = &seed_categories[ci];
	const char *brand = seed_brands[bi];
	bool ko = seed_pick(s, 2);
	const char *noun = ko ? c->ko[seed_pick(s, 4)] : c->en[seed_pick(s, 4)];
	const char *adj = ko ? seed_adj_ko[seed_pick(s, 10)] :
			       seed_adj_en[seed_pick(s, 10)];
	const char *feat = ko ? seed_feat_ko[seed_pick(s, 6)] :
				seed_feat_en[seed_pick(s, 6)];

	snprintf(r->name, sizeof(r->name), "%s %s %s %c%u", brand, adj, noun,
		 (char)('A' + seed_pick(s, 26)),
		 (unsigned)(100 + seed_pick(s, 900)));
	if (ko)
		snprintf(r->desc, sizeof(r->desc), "%s의 %s %s. %s", brand, adj,
			 noun, feat);
	else
		snprintf(r->desc, sizeof(r->desc), "The %s %s from %s. %s", adj,
			 noun, brand, feat);
	r->category = c->name;
	r->brand = brand;
	r->category_i = ci;
	r->brand_i = bi;
	r->price = seed_price(s, c);
	r->status = seed_pick(s, 20) ? "ACTIVE" : "INACTIVE";
	r->when = when;
}

/* SQLite's created_at, as text (PostgreSQL's COPY takes r->when). */
static void seed_created(struct seed_row *r)
{
	struct tm tm;

	gmtime_r(&r->when, &tm);
	strftime(r->created, sizeof(r->created), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

/*
 * PostgreSQL takes the rows through COPY in its binary format (db.h):
 * nothing for the server to parse (the tsvector's text form alone was
 * about half its work).
 */

static void seed_copy_text(struct sbuf *sb, const char *s)
{
	size_t n = strlen(s);

	db_copy_be(sb, n, 4);
	sbuf_add(sb, s, n);
}

static void seed_copy_int(struct sbuf *sb, int64_t v)
{
	db_copy_be(sb, 8, 4);
	db_copy_be(sb, (uint64_t)v, 8);
}

/* timestamptz: microseconds since 2000-01-01 00:00:00 UTC */
#define SEED_PG_EPOCH 946684800

static void seed_copy_row(struct sbuf *sb, int64_t id, const struct seed_row *r,
			  const struct search_analysis *name,
			  const struct search_analysis *desc)
{
	int64_t us = ((int64_t)r->when - SEED_PG_EPOCH) * 1000000;
	size_t at, len;

	db_copy_be(sb, 10, 2);
	seed_copy_int(sb, id);
	seed_copy_text(sb, r->name);
	seed_copy_text(sb, r->desc);
	seed_copy_text(sb, r->category);
	seed_copy_text(sb, r->brand);
	seed_copy_int(sb, r->price);
	seed_copy_text(sb, r->status);
	seed_copy_int(sb, us);
	seed_copy_int(sb, us);
	/* the tsvector's length, known once it is written */
	at = sb->len;
	db_copy_be(sb, 0, 4);
	product_tsv_binary(sb, name, desc);
	len = sb->len - at - 4;
	sb->buf[at] = (char)(len >> 24 & 0xff);
	sb->buf[at + 1] = (char)(len >> 16 & 0xff);
	sb->buf[at + 2] = (char)(len >> 8 & 0xff);
	sb->buf[at + 3] = (char)(len & 0xff);
}

/*
 * The rows are made and analyzed (the vocabulary's counts, and on
 * PostgreSQL the tsvector and COPY's bytes) by a thread of their own
 * while the main thread writes the previous ones to the database and,
 * into an empty catalogue, a third adds their postings from their
 * analyses: the cores busy at once. They meet in a ring of SEED_SLOTS
 * chunks under one mutex, a chunk going back to the maker once written
 * and posted. Each thread owns its state until it is joined (the
 * maker: the generator and the counts; the poster: the postings); the
 * database is the main thread's alone.
 *
 * Small chunks: a chunk's rows and analyses (about 350 KB of 128) are
 * still in the caches when the writer and the poster read them, which
 * chunks of 1024 in 4 slots were not (a million products' rows took
 * 10-15 % more CPU).
 */
#define SEED_CHUNK 128
#define SEED_SLOTS 8

struct seed_chunk {
	struct seed_row row[SEED_CHUNK]; /* SQLite: the rows to insert */
	/* their names and descriptions analysed */
	struct search_analysis name[SEED_CHUNK], desc[SEED_CHUNK];
	int64_t id; /* the first row's */
	size_t n;
	struct sbuf copy; /* PostgreSQL: their rows for COPY */
};

/*
 * The ACTIVE rows' counts per price bucket (search_price_bucket()), for
 * product_price_facets, kept while the rows are made: counting them in
 * the table afterwards costs the load a scan of every row. A slot per
 * bucket: the 100 prices under 100, then 90 buckets a decade.
 */
#define SEED_BUCKETS (100 + 90 * 17)

struct seed_prices {
	int64_t bucket[SEED_BUCKETS];
	int64_t category[SEED_BUCKETS][ARRAY_SIZE(seed_categories)];
	int64_t brand[SEED_BUCKETS][ARRAY_SIZE(seed_brands)];
};

static void seed_prices_add(struct seed_prices *sp, const struct seed_row *r)
{
	int64_t b = search_price_bucket(r->price), lead = b;
	size_t slot, k = 0;

	/* b is lead * 10^k, lead in [10, 99] (or b < 100, its own slot) */
	for (; lead >= 100; lead /= 10)
		k++;
	slot = k ? 100 + (k - 1) * 90 + (size_t)(lead - 10) : (size_t)b;
	sp->bucket[slot] = b;
	sp->category[slot][r->category_i]++;
	sp->brand[slot][r->brand_i]++;
}

struct seed_pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a chunk made, written or posted, or stop */
	struct seed_chunk *slot;
	/* chunks so far; slot[i % SEED_SLOTS] */
	size_t made, written, posted;
	bool posting; /* a poster runs: a chunk waits for it too */
	bool stop; /* the writer gave up: make no more */

	/* the maker's until joined */
	uint64_t seed;
	int64_t n, id;
	time_t now;
	bool pg;
	struct search_load *load;
	int64_t facets[ARRAY_SIZE(seed_categories)][ARRAY_SIZE(seed_brands)];
	struct seed_prices *prices;

	/* the poster's until joined; NULL: the postings are built from the
	 * table at the end */
	struct postings_load *postings;
};

/* The chunks whose slots are free again: written, and posted. */
static size_t seed_pipe_freed(const struct seed_pipe *p)
{
	return p->posting && p->posted < p->written ? p->posted : p->written;
}

/* One product a minute up to now: ids and created_at agree. */
static void *seed_maker(void *arg)
{
	struct seed_pipe *p = arg;
	struct seed_chunk *c;
	struct seed_row *r;
	int64_t done = 0;
	bool active, stop = false;

	while (done < p->n) {
		pthread_mutex_lock(&p->mu);
		while (!p->stop && p->made - seed_pipe_freed(p) == SEED_SLOTS)
			pthread_cond_wait(&p->cv, &p->mu);
		stop = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		/* the slot is ours until made is raised past it */
		c = &p->slot[p->made % SEED_SLOTS];
		sbuf_reset(&c->copy);
		c->id = p->id;
		for (c->n = 0; c->n < SEED_CHUNK && done < p->n; c->n++) {
			r = &c->row[c->n];
			seed_make(&p->seed, r,
				  p->now - (time_t)(p->n - done) * 60);
			done++;
			search_analyze_text(&c->name[c->n], r->name);
			search_analyze_text(&c->desc[c->n], r->desc);
			active = !strcmp(r->status, "ACTIVE");
			p->facets[r->category_i][r->brand_i] += active;
			if (active) {
				seed_prices_add(p->prices, r);
				search_load_count(p->load, &c->name[c->n],
						  &c->desc[c->n]);
			}
			if (p->pg)
				seed_copy_row(&c->copy, p->id, r,
					      &c->name[c->n], &c->desc[c->n]);
			else
				seed_created(r);
			p->id++;
		}
		pthread_mutex_lock(&p->mu);
		p->made++;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

/* seed_pipe_take: the chunk after the *next (p->written or p->posted)
 * its taker is done with, or NULL when all are or on stop; *done counts
 * its rows. */
static struct seed_chunk *seed_pipe_take(struct seed_pipe *p,
					 const size_t *next, int64_t *done)
{
	struct seed_chunk *c = NULL;

	pthread_mutex_lock(&p->mu);
	while (!p->stop && p->made == *next && *done < p->n)
		pthread_cond_wait(&p->cv, &p->mu);
	if (!p->stop && p->made > *next)
		c = &p->slot[*next % SEED_SLOTS];
	pthread_mutex_unlock(&p->mu);
	if (c)
		*done += (int64_t)c->n;
	return c;
}

/* seed_pipe_done: the chunk from seed_pipe_take() is done with. */
static void seed_pipe_done(struct seed_pipe *p, size_t *next)
{
	pthread_mutex_lock(&p->mu);
	(*next)++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void seed_pipe_stop(struct seed_pipe *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Rows of product_price_facets, written SEED_PRICE_ROWS to a statement. */
#define SEED_PRICE_ROWS 200

struct seed_price_sql {
	struct sbuf sql;
	struct db_param prm[4 * SEED_PRICE_ROWS];
	size_t n;
};

/* Add the rows gathered to the counts, in one statement. */
static int seed_price_flush(struct db *db, struct seed_price_sql *q,
			    struct err *e)
{
	size_t i;
	int rc;

	if (!q->n)
		return 0;
	sbuf_reset(&q->sql);
	sbuf_addstr(&q->sql, "INSERT INTO product_price_facets AS f "
			     "(bucket, field, value, n) VALUES ");
	for (i = 0; i < q->n; i += 4)
		sbuf_addf(&q->sql, "%s($%zu, $%zu, $%zu, $%zu)", i ? ", " : "",
			  i + 1, i + 2, i + 3, i + 4);
	sbuf_addstr(&q->sql, " ON CONFLICT (bucket, field, value) DO "
			     "UPDATE SET n = f.n + excluded.n");
	rc = db_query(db, NULL, q->sql.buf, q->prm, q->n, e);
	q->n = 0;
	return rc;
}

/* One row, when its count is not 0; a full statement is written. */
static int seed_price_add(struct db *db, struct seed_price_sql *q,
			  int64_t bucket, const char *field, const char *value,
			  int64_t n, struct err *e)
{
	if (!n)
		return 0;
	q->prm[q->n++] = DB_I(bucket);
	q->prm[q->n++] = DB_S(field);
	q->prm[q->n++] = DB_S(value);
	q->prm[q->n++] = DB_I(n);
	return q->n == ARRAY_SIZE(q->prm) ? seed_price_flush(db, q, e) : 0;
}

/* what product_price_facets's triggers do, from the maker's counts */
static int seed_price_facets(struct db *db, const struct seed_prices *sp,
			     struct err *e)
{
	struct seed_price_sql *q = xcalloc(1, sizeof(*q));
	size_t b, i;
	int rc = 0;

	sbuf_init(&q->sql, 0, 0);
	for (b = 0; b < SEED_BUCKETS && !rc; b++) {
		for (i = 0; i < ARRAY_SIZE(seed_categories) && !rc; i++)
			rc = seed_price_add(db, q, sp->bucket[b], "category",
					    seed_categories[i].name,
					    sp->category[b][i], e);
		for (i = 0; i < ARRAY_SIZE(seed_brands) && !rc; i++)
			rc = seed_price_add(db, q, sp->bucket[b], "brand",
					    seed_brands[i], sp->brand[b][i], e);
	}
	if (!rc)
		rc = seed_price_flush(db, q, e);
	sbuf_release(&q->sql);
	free(q);
	return rc;
}

/* what the triggers of product_facets and product_total do, from the
 * counts the maker kept */
static int seed_facets(struct db *db, const struct seed_pipe *p, struct err *e)
{
	size_t ci, bi;

	if (db_query(db, NULL, "UPDATE product_total SET n = n + $1",
		     DB_ARGS(DB_I(p->n)), e) < 0)
		return -1;
	for (ci = 0; ci < ARRAY_SIZE(seed_categories); ci++)
		for (bi = 0; bi < ARRAY_SIZE(seed_brands); bi++)
			if (p->facets[ci][bi] &&
			    db_query(db, NULL,
				     "INSERT INTO product_facets (category, "
				     "brand, n) VALUES ($1, $2, $3) "
				     "ON CONFLICT (category, brand) DO UPDATE "
				     "SET n = product_facets.n + excluded.n",
				     DB_ARGS(DB_S(seed_categories[ci].name),
					     DB_S(seed_brands[bi]),
					     DB_I(p->facets[ci][bi])),
				     e) < 0)
				return -1;
	return 0;
}

/* seed_cpu_ms: the CPU time of this process, its threads together */
static double seed_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* seed_phase: how long the phase that ends now took, by the clock and in
 * this process's CPU (the figure a busy machine does not move), at debug
 * level (what up to its first parenthesis: a statement's head); t[0] and
 * t[1] become now. */
static void seed_phase(const char *what, double t[2])
{
	double now = clock_ms(), cpu = seed_cpu_ms();

	log_msg(LOG_DEBUG, NULL, "seed: %.*s: %.0f ms, CPU %.0f ms",
		(int)strcspn(what, "(\n"), what, now - t[0], cpu - t[1]);
	t[0] = now;
	t[1] = cpu;
}

/*
 * What a load into products sets aside: the statements that put it
 * back (the indexes and triggers it dropped).
 */
struct seed_aside {
	char **sql;
	size_t n;
};

/*
 * Row by row, the triggers of products (the vocabulary, the facet
 * counts and the total) and the indexes cost more than the rows: the
 * load turns the triggers off and does their work once at the end
 * (seed_finish()), and into an empty catalogue it drops the secondary
 * indexes and builds them again after the rows, from a sort. All in the
 * load's transaction: nobody else ever sees products without them. A
 * new trigger on products needs its bulk form in seed_finish().
 */
static int seed_prepare(struct db *db, bool empty, struct seed_aside *a,
			struct err *e)
{
	bool pg = db_dialect(db) == DB_POSTGRES;
	struct db_res *res = NULL;
	size_t i;
	int ret = -1;

	if (pg && db_query(db, NULL,
			   "ALTER TABLE products DISABLE TRIGGER "
			   "USER",
			   DB_NOARGS, e) < 0)
		return -1;
	if (pg ? !empty ?
		 0 :
		 db_query(db, &res,
			  "SELECT format('DROP INDEX %I', c.relname), "
			  "pg_get_indexdef(x.indexrelid) FROM pg_index x "
			  "JOIN pg_class c ON c.oid = x.indexrelid "
			  "WHERE x.indrelid = 'products'::regclass "
			  "AND NOT x.indisunique",
			  DB_NOARGS, e) :
		 db_query(db, &res,
			  "SELECT 'DROP ' || type || ' \"' || name || "
			  "'\"', sql FROM sqlite_master WHERE tbl_name = "
			  "'products' AND sql IS NOT NULL AND (type = 'trigger' "
			  "OR (type = 'index' AND $1))",
			  DB_ARGS(DB_I(empty)), e))
		return -1;
	for (i = 0; res && i < db_res_rows(res); i++) {
		if (db_exec_script(db, db_res_str(res, i, 0), e) < 0)
			goto out;
		a->sql = xrealloc(a->sql, (a->n + 1) * sizeof(*a->sql));
		a->sql[a->n++] = xstrdup(db_res_str(res, i, 1));
	}
	ret = 0;
out:
	db_res_free(res);
	return ret;
}

/* SQLite's cache for the load's connection: 64 MiB, in KiB */
#define SEED_CACHE "-65536"

/*
 * The postings of an empty catalogue (a quarter of the load's time, all
 * of it the database's on the load's one connection) are written while
 * the indexes are built: by a thread of their own, on a connection of
 * their own, into tables like product_postings and
 * product_postings_state that nobody else reads; the load then takes
 * them into product_postings, which it had not written, within its
 * transaction.
 *
 * On SQLite (the load's database takes one writer) they go into a
 * scratch database: a file in TMPDIR, deleted at the end, attached to
 * the load's connection inside the load's transaction (attached before
 * it, BEGIN IMMEDIATE would take its write lock too and keep the thread
 * out), and copied as they are. Its first read there comes after the
 * thread's commit, so it reads all of it.
 *
 * On PostgreSQL (one transaction is one connection's) they go into a
 * schema of their own, SEED_SCHEMA, which the thread's transaction
 * commits; the load's transaction then drops product_postings and moves
 * the new table into its place, so that the rows and their postings
 * commit together (searches wait for that commit from the drop on, the
 * load's last moments). A load killed after the thread's commit leaves
 * the schema behind, which the next one drops. A role that may not
 * create a schema in the database writes them on the load's connection
 * after the indexes instead.
 */
#define SEED_SCHEMA "agora_seed"

struct seed_scratch {
	/* the scratch database, or PostgreSQL's second connection; the
	 * thread's while it runs */
	struct db *db;
	char path[4096]; /* SQLite: the scratch file */
	pthread_t thread;
	bool attached, running;

	/* the thread's until joined */
	struct postings_load *postings;
	int ret;
	struct err e;
};

static void *seed_scratch_write(void *arg)
{
	struct seed_scratch *f = arg;

	f->ret = db_begin(f->db, &f->e);
	/* a million products' postings take longer than a request's
	 * statement timeout */
	if (f->ret == 0 &&
	    ((db_dialect(f->db) == DB_POSTGRES &&
	      db_exec_script(f->db,
			     "SET LOCAL statement_timeout = 0; "
			     "SET LOCAL search_path = " SEED_SCHEMA,
			     &f->e) < 0) ||
	     postings_load_store(f->postings, f->db, &f->e) < 0 ||
	     db_commit(f->db, &f->e) < 0)) {
		db_rollback(f->db);
		f->ret = -1;
	}
	return NULL;
}

/*
 * seed_scratch_sqlite: the scratch database, with the tables of the
 * postings as the migrations made them, attached to db as seed_scratch.
 * Thrown away after a crash, it needs no sync to disk, and no WAL:
 * through one, its pages would be written again when it is closed (half
 * a second for a million products). A load that stops removes it in
 * seed_scratch_close(); one killed leaves it in TMPDIR (agora-seed-*).
 */
static int seed_scratch_sqlite(struct db *db, struct seed_scratch *f,
			       struct err *e)
{
	const char *tmp = getenv("TMPDIR");
	struct db_res *res = NULL;
	size_t i;
	int fd, ret = -1;

	snprintf(f->path, sizeof(f->path), "%s/agora-seed-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(f->path);
	if (fd < 0) {
		err_set(e, ERR_INTERNAL, "seed: %s: %s", f->path,
			strerror(errno));
		f->path[0] = '\0';
		return -1;
	}
	close(fd);
	if (db_open(&f->db, f->path, NULL, e) < 0 ||
	    db_exec_script(f->db,
			   "PRAGMA journal_mode = DELETE; "
			   "PRAGMA synchronous = OFF; "
			   "PRAGMA cache_size = " SEED_CACHE,
			   e) < 0 ||
	    db_query(db, &res,
		     "SELECT sql FROM sqlite_master WHERE name IN "
		     "('product_postings', 'product_postings_state')",
		     DB_NOARGS, e) < 0)
		goto out;
	for (i = 0; i < db_res_rows(res); i++)
		if (db_exec_script(f->db, db_res_str(res, i, 0), e) < 0)
			goto out;
	if (db_query(db, NULL, "ATTACH $1 AS seed_scratch",
		     DB_ARGS(DB_S(f->path)), e) < 0)
		goto out;
	f->attached = true;
	ret = 0;
out:
	db_res_free(res);
	return ret;
}

/*
 * seed_scratch_pg: the second connection, to url, and SEED_SCHEMA with
 * tables like those of the postings (their columns, storage, keys),
 * committed. What a killed load left there goes first. A load that
 * stops drops it in seed_scratch_close(); on success the load's
 * transaction does.
 */
static int seed_scratch_pg(struct seed_scratch *f, const char *url,
			   struct err *e)
{
	if (db_open(&f->db, url, NULL, e) < 0)
		return -1;
	/* one statement string: one transaction, all of it or nothing */
	return db_exec_script(f->db,
			      "DROP SCHEMA IF EXISTS " SEED_SCHEMA " CASCADE; "
			      "CREATE SCHEMA " SEED_SCHEMA "; "
			      "CREATE TABLE " SEED_SCHEMA ".product_postings "
			      "(LIKE product_postings INCLUDING ALL); "
			      "CREATE TABLE " SEED_SCHEMA
			      ".product_postings_state "
			      "(LIKE product_postings_state INCLUDING ALL)",
			      e);
}

/*
 * seed_scratch_start: the postings numbered in db, their scratch tables
 * made, and the thread that writes them there started (the postings are
 * the thread's until seed_scratch_join()). On PostgreSQL, when the
 * scratch schema cannot be had, no thread, and 0 all the same.
 */
static int seed_scratch_start(struct db *db, struct seed_scratch *f,
			      struct postings_load *postings, const char *url,
			      struct err *e)
{
	struct err why = ERR_INIT;

	if (postings_load_number(postings, db, e) < 0)
		return -1;
	if (db_dialect(db) == DB_SQLITE) {
		if (seed_scratch_sqlite(db, f, e) < 0)
			return -1;
	} else if (seed_scratch_pg(f, url, &why) < 0) {
		log_msg(LOG_INFO, NULL,
			"seed: the postings are written after the indexes, "
			"with no schema of their own: %s",
			why.msg);
		err_release(&why);
		db_free(f->db);
		f->db = NULL;
		return 0;
	}
	f->postings = postings;
	if (pthread_create(&f->thread, NULL, seed_scratch_write, f))
		return err_set(e, ERR_INTERNAL, "seed: cannot start a thread");
	f->running = true;
	return 0;
}

/* seed_scratch_join: wait for the thread; its error, if any, into e */
static int seed_scratch_join(struct seed_scratch *f, struct err *e)
{
	pthread_join(f->thread, NULL);
	f->running = false;
	if (f->ret < 0)
		return err_set(e, f->e.code, "%s", f->e.msg);
	return 0;
}

/*
 * seed_scratch_take: the thread's postings into product_postings, ready.
 * SQLite: once the rows are known to have the ids the maker gave them
 * (those AUTOINCREMENT gives, counted the same way, so a mismatch is a
 * bug), copied as they are (SQLite's transfer of one table into an
 * empty one of the same shape). PostgreSQL: its table in place of
 * product_postings, in product_postings' schema (the ids are the
 * maker's own there).
 */
static int seed_scratch_take(struct db *db, int64_t id, int64_t n,
			     struct err *e)
{
	struct db_res *res = NULL;
	bool same;

	if (db_dialect(db) == DB_POSTGRES)
		return db_exec_script(
			db,
			"DO $$ DECLARE s text := (SELECT relnamespace::"
			"regnamespace::text FROM pg_class WHERE oid = "
			"'product_postings'::regclass); BEGIN "
			"DROP TABLE product_postings; EXECUTE format('ALTER "
			"TABLE " SEED_SCHEMA
			".product_postings SET SCHEMA %s', s); END $$; "
			"DROP SCHEMA " SEED_SCHEMA " CASCADE; "
			"UPDATE product_postings_state SET ready = true",
			e);
	if (db_query(db, &res,
		     "SELECT min(id) = $1 AND max(id) = $2 AND count(*) = $3 "
		     "FROM products",
		     DB_ARGS(DB_I(id), DB_I(id + n - 1), DB_I(n)), e) < 0)
		return -1;
	same = col_one_int(res);
	db_res_free(res);
	if (!same)
		return err_set(e, ERR_INTERNAL,
			       "seed: the rows' ids are not the postings'");
	return db_exec_script(db,
			      "DELETE FROM main.product_postings; "
			      "INSERT INTO main.product_postings "
			      "SELECT * FROM seed_scratch.product_postings; "
			      "UPDATE main.product_postings_state "
			      "SET ready = 1",
			      e);
}

/*
 * seed_scratch_close: after the load's commit or rollback, the thread
 * joined and the scratch tables gone: the file, or the schema (which a
 * committed load has dropped already).
 */
static void seed_scratch_close(struct db *db, struct seed_scratch *f)
{
	struct err ignored = ERR_INIT;
	static const char *const ext[] = { "", "-wal", "-shm", "-journal" };
	char path[sizeof(f->path) + 16];
	size_t i;

	if (f->running)
		pthread_join(f->thread, NULL);
	f->running = false;
	if (f->attached)
		db_query(db, NULL, "DETACH seed_scratch", DB_NOARGS, &ignored);
	f->attached = false;
	if (f->db && db_dialect(f->db) == DB_POSTGRES)
		db_query(f->db, NULL,
			 "DROP SCHEMA IF EXISTS " SEED_SCHEMA " CASCADE",
			 DB_NOARGS, &ignored);
	db_free(f->db);
	f->db = NULL;
	for (i = 0; f->path[0] && i < ARRAY_SIZE(ext); i++) {
		snprintf(path, sizeof(path), "%s%s", f->path, ext[i]);
		unlink(path);
	}
	f->path[0] = '\0';
	err_release(&ignored);
	err_release(&f->e);
}

static int seed_finish(struct db *db, const char *url, struct seed_pipe *p,
		       struct seed_aside *a, struct seed_scratch *f,
		       double t[2], struct err *e)
{
	bool pg = db_dialect(db) == DB_POSTGRES;
	size_t i;

	if (p->postings) {
		if (seed_scratch_start(db, f, p->postings, url, e) < 0)
			return -1;
		seed_phase("search postings numbered, their thread started", t);
	}
	if (seed_facets(db, p, e) < 0 || search_load_store(p->load, db, e) < 0)
		return -1;
	seed_phase("facet counts and vocabulary", t);
	/* a sort in memory rather than on disk for a million rows */
	if (pg && a->n &&
	    db_query(db, NULL,
		     "SET LOCAL maintenance_work_mem "
		     "= '256MB'",
		     DB_NOARGS, e) < 0)
		return -1;
	/*
	 * SQLite sorts an index's entries on the load's thread alone while
	 * they fit in its cache. Past a smaller cache it sorts them in runs,
	 * which two helper threads sort while the table is read and then
	 * merge: the second core, which the postings' thread leaves idle
	 * before the last indexes (10.99 -> 10.34-10.51 s for a million
	 * products, side by side).
	 */
	if (!pg && a->n &&
	    db_exec_script(db, "PRAGMA threads = 2; PRAGMA cache_size = -16384",
			   e) < 0)
		return -1;
	for (i = 0; i < a->n; i++) {
		if (db_exec_script(db, a->sql[i], e) < 0)
			return -1;
		seed_phase(a->sql[i], t);
	}
	if (!pg && a->n &&
	    db_exec_script(db,
			   "PRAGMA threads = 0; PRAGMA cache_size = " SEED_CACHE,
			   e) < 0)
		return -1;
	if (seed_price_facets(db, p->prices, e) < 0)
		return -1;
	seed_phase("price bucket counts", t);
	/* every product's: those made, or the new ones with the others */
	if (f->running) {
		if (seed_scratch_join(f, e) < 0)
			return -1;
		seed_phase("search postings, the rest of their thread", t);
		/* the maker counted p->id past the last row */
		if (seed_scratch_take(db, p->id - p->n, p->n, e) < 0)
			return -1;
		seed_phase("search postings in place", t);
	} else {
		if ((p->postings ? postings_load_store(p->postings, db, e) :
				   postings_fill(db, e)) < 0)
			return -1;
		seed_phase("search postings", t);
	}
	return pg ? db_query(db, NULL,
			     "ALTER TABLE products ENABLE TRIGGER "
			     "USER",
			     DB_NOARGS, e) :
		    0;
}

/*
 * seed_journal: on SQLite, the load writes through a rollback journal
 * instead of the WAL when nobody else has the database open. In WAL
 * mode every page of the load is written twice, to the WAL and then by
 * the checkpoint into the database: a million products' 400 MB, a
 * tenth of the load's time. A rollback journal holds only the pages the
 * load changes that were there before (few when the catalogue was
 * empty), which the next opener puts back after a crash, as it would
 * leave out the WAL of a transaction never committed. synchronous =
 * FULL: in rollback mode NORMAL could leave a corrupt database after a
 * power loss at the wrong moment.
 *
 * The switch needs the database to itself: with another connection open
 * SQLite refuses it at once (SQLITE_BUSY) and the load stays in WAL
 * mode, where readers go on reading while it runs. Returns whether it
 * switched. seed_journal_end() switches back after the load. Meanwhile
 * a process opening the database (each connection agora opens asks for
 * WAL mode, which the load's locks hold off) retries for its busy
 * timeout and then fails; should the switch back fail, the next
 * connection agora opens makes it.
 */
static bool seed_journal(struct db *db)
{
	struct err ignored = ERR_INIT;
	struct db_res *res = NULL;
	bool on;

	on = db_query(db, &res, "PRAGMA main.journal_mode = DELETE", DB_NOARGS,
		      &ignored) == 0 &&
	     !strcmp(col_one_str(res), "delete") &&
	     db_query(db, NULL, "PRAGMA main.synchronous = FULL", DB_NOARGS,
		      &ignored) == 0;
	db_res_free(res);
	err_release(&ignored);
	if (on)
		log_msg(LOG_DEBUG, NULL,
			"seed: the database to itself: through a rollback "
			"journal");
	return on;
}

static void seed_journal_end(struct db *db)
{
	struct err e = ERR_INIT;

	if (db_exec_script(db,
			   "PRAGMA main.journal_mode = WAL; "
			   "PRAGMA main.synchronous = NORMAL",
			   &e) < 0)
		log_msg(LOG_WARN, NULL,
			"seed: the database stays in rollback journal mode "
			"until agora next opens it: %s",
			e.msg);
	err_release(&e);
}

/*
 * seed_postings: the postings of a chunk's ACTIVE rows into *load, until
 * it holds what a build holds at most: then none (*load NULL), and
 * seed_finish() builds them from the table.
 */
static void seed_postings(struct postings_load **load,
			  const struct seed_chunk *c)
{
	struct postings_product product = { .active = true };
	size_t i;

	if (*load && postings_load_full(*load)) {
		postings_load_free(*load);
		*load = NULL;
	}
	for (i = 0; *load && i < c->n; i++) {
		if (strcmp(c->row[i].status, "ACTIVE"))
			continue;
		product.id = c->id + (int64_t)i;
		product.price = c->row[i].price;
		product.category = c->row[i].category;
		product.brand = c->row[i].brand;
		postings_load_add(*load, &product, &c->name[i], &c->desc[i]);
	}
}

/* The poster: each chunk's postings, as they come. */
static void *seed_poster(void *arg)
{
	struct seed_pipe *p = arg;
	struct seed_chunk *c;
	int64_t done = 0;

	while ((c = seed_pipe_take(p, &p->posted, &done))) {
		seed_postings(&p->postings, c);
		seed_pipe_done(p, &p->posted);
	}
	return NULL;
}

/* seed_write: the maker's chunks into the database, as they come. */
static int seed_write(struct db *db, struct seed_pipe *p, bool tty,
		      struct err *e)
{
	struct seed_chunk *c;
	int64_t done = 0;
	size_t i;
	struct seed_row *r;

	while ((c = seed_pipe_take(p, &p->written, &done))) {
		/* On SQLite one row per statement: it binds "$N" by name, a
		 * look-up that grows with the number of parameters. */
		if (p->pg && db_copy_put(db, c->copy.buf, c->copy.len, e) < 0)
			return -1;
		for (i = 0; !p->pg && i < c->n; i++) {
			r = &c->row[i];
			if (db_query(db, NULL,
				     "INSERT INTO products (name, "
				     "description, category, brand, price, "
				     "status, created_at, updated_at) VALUES "
				     "($1, $2, $3, $4, $5, $6, $7, $8)",
				     DB_ARGS(DB_S(r->name), DB_S(r->desc),
					     DB_S(r->category), DB_S(r->brand),
					     DB_I(r->price), DB_S(r->status),
					     DB_S(r->created),
					     DB_S(r->created)),
				     e) < 0)
				return -1;
		}
		seed_pipe_done(p, &p->written);
		if (tty)
			cmd_progress("seed", done, p->n);
	}
	if (tty)
		fputs("\n", stderr);
	return 0;
}

/* seed_products: n rows in one transaction; a progress bar on stderr
 * when tty. url: db's, for a second connection. */
static int seed_products(struct db *db, const char *url, int64_t n,
			 uint64_t seed, bool tty, struct err *e)
{
	struct seed_pipe p = {
		.mu = PTHREAD_MUTEX_INITIALIZER,
		.cv = PTHREAD_COND_INITIALIZER,
		.seed = seed,
		.n = n,
		.now = time(NULL),
		.pg = db_dialect(db) == DB_POSTGRES,
		.load = search_load_new(),
		.prices = xcalloc(1, sizeof(struct seed_prices)),
	};
	struct seed_aside aside = { NULL, 0 };
	struct seed_scratch scratch = { .db = NULL };
	pthread_t maker, poster;
	size_t i, j;
	struct db_res *res = NULL;
	int64_t last;
	double t[2] = { clock_ms(), seed_cpu_ms() };
	bool copying = false, making = false, posting = false, journal = false;
	bool empty;
	int ret = -1;

	err_init(&scratch.e);
	p.slot = xcalloc(SEED_SLOTS, sizeof(*p.slot));
	for (i = 0; i < SEED_SLOTS; i++) {
		sbuf_init(&p.slot[i].copy, 0, 0);
		for (j = 0; j < SEED_CHUNK; j++)
			p.slot[i].name[j] = p.slot[i].desc[j] =
				(struct search_analysis)SEARCH_ANALYSIS_INIT;
	}
	/* The indexes take rows in random order: a cache that holds them
	 * (64 MiB, this connection only) keeps the load off the disk. */
	if (!p.pg && db_query(db, NULL, "PRAGMA cache_size = " SEED_CACHE,
			      DB_NOARGS, e) < 0)
		goto out;
	journal = !p.pg && seed_journal(db);
	if (db_begin(db, e) < 0)
		goto out;
	/* A bulk load is no request: building a million products' indexes
	 * takes longer than a request's statement timeout. */
	if (p.pg && db_query(db, NULL, "SET LOCAL statement_timeout = 0",
			     DB_NOARGS, e) < 0)
		goto out;
	/* The last id so far, and whether the catalogue is empty. */
	enum { SEED_LAST, SEED_EMPTY };
	if (db_query(db, &res,
		     "SELECT coalesce(max(id), 0), CASE WHEN "
		     "EXISTS (SELECT 1 FROM products) THEN 0 ELSE 1 END "
		     "FROM products",
		     DB_NOARGS, e) < 0)
		goto out;
	last = db_res_int(res, 0, SEED_LAST);
	empty = db_res_int(res, 0, SEED_EMPTY);
	/* the products made are then the only ones: their postings are
	 * all the catalogue's */
	if (empty)
		p.postings = postings_load_new();
	if (seed_prepare(db, empty, &aside, e) < 0)
		goto out;
	if (!p.pg && empty) {
		/* the ids AUTOINCREMENT gives: after the largest ever used */
		db_res_free(res);
		if (db_query(db, &res,
			     "SELECT coalesce(max(seq), 0) FROM sqlite_sequence "
			     "WHERE name = 'products'",
			     DB_NOARGS, e) < 0)
			goto out;
		p.id = (col_one_int(res) > last ? col_one_int(res) : last) + 1;
	}
	if (p.pg) {
		/* The ids the identity would give, taken at once: a default
		 * per row costs the load a third of its time. */
		db_res_free(res);
		if (db_query(db, &res,
			     "SELECT setval(s, nextval(s) + $1 - 1) "
			     "- $1 + 1 FROM pg_get_serial_sequence('products', "
			     "'id') s",
			     DB_ARGS(DB_I(n)), e) < 0)
			goto out;
		p.id = col_one_int(res);
		if (db_copy_begin(db,
				  "COPY products (id, name, description, "
				  "category, brand, price, status, "
				  "created_at, updated_at, search) FROM STDIN "
				  "(FORMAT binary)",
				  e) < 0)
			goto out;
		copying = true;
		if (db_copy_put(db, DB_COPY_HEAD, DB_COPY_HEAD_LEN, e) < 0)
			goto out;
	}
	/* set before the maker reads it */
	p.posting = p.postings != NULL;
	if (p.posting && pthread_create(&poster, NULL, seed_poster, &p)) {
		err_set(e, ERR_INTERNAL, "seed: cannot start a thread");
		goto out;
	}
	posting = p.posting;
	if (pthread_create(&maker, NULL, seed_maker, &p)) {
		err_set(e, ERR_INTERNAL, "seed: cannot start a thread");
		goto out;
	}
	making = true;
	if (seed_write(db, &p, tty, e) < 0)
		goto out;
	if (copying) {
		if (db_copy_put(db, DB_COPY_TAIL, 2, e) < 0)
			goto out;
		copying = false;
		if (db_copy_end(db, e) < 0)
			goto out;
	}
	pthread_join(maker, NULL);
	making = false;
	if (posting)
		pthread_join(poster, NULL);
	posting = false;
	seed_phase("rows", t);
	if (seed_finish(db, url, &p, &aside, &scratch, t, e) < 0 ||
	    db_commit(db, e) < 0)
		goto out;
	seed_phase("commit", t);
	ret = 0;
out:
	if (making || posting)
		seed_pipe_stop(&p);
	if (making)
		pthread_join(maker, NULL);
	if (posting)
		pthread_join(poster, NULL);
	if (copying) {
		struct err ignored = ERR_INIT;

		db_copy_end(db, &ignored);
		err_release(&ignored);
	}
	if (ret < 0)
		db_rollback(db);
	/* after its thread, which holds p.postings */
	seed_scratch_close(db, &scratch);
	if (journal)
		seed_journal_end(db);
	db_res_free(res);
	for (i = 0; i < aside.n; i++)
		free(aside.sql[i]);
	free(aside.sql);
	for (i = 0; i < SEED_SLOTS; i++) {
		sbuf_release(&p.slot[i].copy);
		for (j = 0; j < SEED_CHUNK; j++) {
			search_analysis_release(&p.slot[i].name[j]);
			search_analysis_release(&p.slot[i].desc[j]);
		}
	}
	free(p.slot);
	search_load_free(p.load);
	postings_load_free(p.postings);
	free(p.prices);
	if (ret == 0)
		seed_phase("after the commit", t);
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
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_args a = { "seed", seed_usage, opts };
	struct err e = ERR_INIT;
	struct cfg c;
	struct db *db;
	int64_t n = -1;
	uint64_t seed = 1;
	char *end;
	double t0, ms;
	int opt, ret = 1;

	while ((opt = cmd_opt(&a, argc, argv)) > 0) {
		switch (opt) {
		case 'p':
			errno = 0;
			n = strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg || n < 1 ||
			    n > 100000000)
				return cmd_usage_error(seed_usage,
						       "seed: "
						       "--products must be an "
						       "integer between 1 and "
						       "100000000");
			break;
		case 's':
			errno = 0;
			seed = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg || *optarg == '-')
				return cmd_usage_error(seed_usage,
						       "seed: "
						       "--seed must be an "
						       "integer");
			break;
		}
	}
	if (opt < 0)
		return a.status;
	if (n < 0)
		return cmd_usage_error(seed_usage, "seed: --products is "
						   "required");
	db = cmd_setup(&c, "seed");
	t0 = clock_ms();
	if (seed_products(db, c.database_url, n, seed, isatty(STDERR_FILENO),
			  &e) < 0) {
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
	cmd_teardown(&c, db);
	return ret;
}
