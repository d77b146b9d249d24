/* article.c -- placeholder until its issue lands. */
typedef int sq_placeholder_article;
