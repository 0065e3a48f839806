/* search-doc.c: the search document, apart from the backends so that
 * the products responder builds its events without linking them. */
#include "common.h"

#include "search.h"

struct json_object *search_doc(const struct db_res *res, size_t i)
{
	struct json_object *o = json_object_new_object();
	char t[32];

	json_object_object_add(o, "id",
			       json_object_new_int64(db_res_int(res, i, 0)));
	json_object_object_add(o, "name",
			       json_object_new_string(db_res_str(res, i, 1)));
	json_object_object_add(o, "description",
			       db_res_isnull(res, i, 2) ? NULL :
			       json_object_new_string(db_res_str(res, i, 2)));
	json_object_object_add(o, "category",
			       json_object_new_string(db_res_str(res, i, 3)));
	json_object_object_add(o, "brand",
			       json_object_new_string(db_res_str(res, i, 4)));
	json_object_object_add(o, "price",
			       json_object_new_int64(db_res_int(res, i, 5)));
	json_object_object_add(o, "status",
			       json_object_new_string(db_res_str(res, i, 6)));
	json_object_object_add(o, "created_at",
			       json_object_new_string(db_res_time(res, i, 7, t)));
	return o;
}
