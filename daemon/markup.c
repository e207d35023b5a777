/* libxml2 HTML tree walked into text; the walk is iterative so that deeply
 * nested markup cannot exhaust the stack. */
#include "markup.h"

#include <libxml/HTMLparser.h>
#include <libxml/xmlreader.h>
#include <libxml/tree.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "util.h"

struct html_out {
	struct buf b;
	int pending_space; /* white space seen since the last text */
	int newlines;      /* newlines at the end of b (0, 1 or 2) */
};

static void html_break(struct html_out *o, int want)
{
	if (o->b.len == 0)
		return; /* no leading blank lines */
	while (o->newlines < want) {
		buf_addc(&o->b, '\n');
		o->newlines++;
	}
	o->pending_space = 0;
}

static void html_text(struct html_out *o, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			o->pending_space = 1;
			continue;
		}
		/* U+00A0 (&nbsp;) is white space to a reader too. */
		if (c == 0xC2 && (unsigned char)s[1] == 0xA0) {
			o->pending_space = 1;
			s++;
			continue;
		}
		if (o->pending_space && o->newlines == 0 && o->b.len > 0)
			buf_addc(&o->b, ' ');
		o->pending_space = 0;
		o->newlines = 0;
		buf_addc(&o->b, (char)c);
	}
}

static int html_is(const xmlNode *n, const char *const *names)
{
	for (; *names; names++)
		if (strcasecmp((const char *)n->name, *names) == 0)
			return 1;
	return 0;
}

static const char *const html_skip[] = { "script", "style", "head", "title",
	                                     "noscript", "template", NULL };
static const char *const html_para[] = { "p", "h1", "h2", "h3", "h4", "h5", "h6",
	                                     "blockquote", "pre", "table", "ul", "ol",
	                                     "dl", "hr", NULL };
static const char *const html_line[] = { "div", "tr", "li", "dt", "dd", "address",
	                                     "section", "article", "header", "footer",
	                                     "form", "center", "caption", NULL };

static void html_enter(struct html_out *o, const xmlNode *n)
{
	if (strcasecmp((const char *)n->name, "br") == 0) {
		buf_addc(&o->b, '\n');
		o->newlines = o->newlines < 2 ? o->newlines + 1 : 2;
		o->pending_space = 0;
	} else if (html_is(n, html_para)) {
		html_break(o, 2);
	} else if (html_is(n, html_line)) {
		html_break(o, 1);
		if (strcasecmp((const char *)n->name, "li") == 0) {
			buf_adds(&o->b, "- ");
			o->newlines = 0;
		}
	} else if (strcasecmp((const char *)n->name, "td") == 0 ||
	           strcasecmp((const char *)n->name, "th") == 0) {
		/* Cells after the first in a row are separated visibly. */
		if (o->newlines == 0 && o->b.len > 0)
			buf_adds(&o->b, "\t");
		o->pending_space = 0;
	}
}

static void html_leave(struct html_out *o, const xmlNode *n)
{
	if (html_is(n, html_para))
		html_break(o, 2);
	else if (html_is(n, html_line))
		html_break(o, 1);
}

char *markup_html_text(const char *html, size_t len)
{
	struct html_out o = { BUF_INIT, 0, 0 };
	buf_add(&o.b, "", 0);
	if (len == 0 || len > INT_MAX)
		return buf_detach(&o.b);
	htmlDocPtr doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
	                                HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
	                                HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	if (!doc)
		return buf_detach(&o.b);
	xmlNode *root = xmlDocGetRootElement(doc);
	xmlNode *n = root;
	while (n) {
		int descend = 0;
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content)
				html_text(&o, (const char *)n->content);
		} else if (n->type == XML_ELEMENT_NODE && !html_is(n, html_skip)) {
			html_enter(&o, n);
			descend = n->children != NULL;
			if (!descend)
				html_leave(&o, n);
		}
		if (descend) {
			n = n->children;
			continue;
		}
		while (n && n != root && !n->next) {
			n = n->parent;
			if (n && n->type == XML_ELEMENT_NODE)
				html_leave(&o, n);
		}
		n = (n && n != root) ? n->next : NULL;
	}
	xmlFreeDoc(doc);
	/* Drop trailing white space; the parser output is UTF-8 already. */
	while (o.b.len > 0 && (o.b.data[o.b.len - 1] == '\n' || o.b.data[o.b.len - 1] == ' '))
		o.b.data[--o.b.len] = '\0';
	char *out = charset_repair_utf8(o.b.data, o.b.len, NULL);
	buf_free(&o.b);
	return out;
}

/* ---- XML documents --------------------------------------------------------- */

struct markup_xml {
	xmlTextReaderPtr r;
	struct buf attr; /* the last attribute looked up */
};

/* DTDs and entity declarations, looked for in the bytes before any
 * parsing: whatever the parser would do with them, it is not done. */
static int markup_has_dtd(const char *xml, size_t len)
{
	static const char *const marks[] = { "<!DOCTYPE", "<!ENTITY" };
	for (size_t m = 0; m < 2; m++) {
		size_t ml = strlen(marks[m]);
		for (size_t i = 0; i + ml <= len; i++)
			if (xml[i] == '<' && strncasecmp(xml + i, marks[m], ml) == 0)
				return 1;
	}
	return 0;
}

const char *markup_xml_attr(const struct markup_xml *x, const char *name)
{
	struct markup_xml *mx = (struct markup_xml *)x;
	const char *found = NULL;
	if (xmlTextReaderMoveToFirstAttribute(mx->r) != 1)
		return NULL;
	do {
		const char *n = (const char *)xmlTextReaderConstLocalName(mx->r);
		if (n && strcmp(n, name) == 0) {
			buf_reset(&mx->attr);
			const char *v = (const char *)xmlTextReaderConstValue(mx->r);
			buf_adds(&mx->attr, v ? v : "");
			found = mx->attr.data ? mx->attr.data : "";
			break;
		}
	} while (xmlTextReaderMoveToNextAttribute(mx->r) == 1);
	xmlTextReaderMoveToElement(mx->r);
	return found;
}

int markup_xml_walk(const char *xml, size_t len, markup_xml_fn fn, void *arg,
                    char **errp)
{
	if (len > INT_MAX)
		return err_set(errp, FOID_EINVAL, "XML part too large");
	if (markup_has_dtd(xml, len))
		return err_set(errp, FOID_EINVAL, "XML with a DOCTYPE or entity declaration");
	struct markup_xml x = { NULL, BUF_INIT };
	x.r = xmlReaderForMemory(xml, (int)len, NULL, NULL,
	                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	                         XML_PARSE_NOCDATA);
	if (!x.r)
		return err_set(errp, FOID_EINVAL, "XML part could not be read");
	int rc = 0, step;
	while (rc == 0 && (step = xmlTextReaderRead(x.r)) == 1) {
		int type = xmlTextReaderNodeType(x.r);
		const char *name = (const char *)xmlTextReaderConstLocalName(x.r);
		switch (type) {
		case XML_READER_TYPE_DOCUMENT_TYPE:
			rc = err_set(errp, FOID_EINVAL, "XML with a DOCTYPE");
			break;
		case XML_READER_TYPE_ELEMENT: {
			int empty = xmlTextReaderIsEmptyElement(x.r);
			rc = fn(MARKUP_START, name, NULL, &x, arg);
			if (rc == 0 && empty)
				rc = fn(MARKUP_END, name, NULL, &x, arg);
			break;
		}
		case XML_READER_TYPE_END_ELEMENT:
			rc = fn(MARKUP_END, name, NULL, &x, arg);
			break;
		case XML_READER_TYPE_TEXT:
		case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
		case XML_READER_TYPE_CDATA:
			rc = fn(MARKUP_TEXT, NULL, (const char *)xmlTextReaderConstValue(x.r), &x, arg);
			break;
		default:
			break;
		}
	}
	if (rc == 0 && step < 0)
		rc = err_set(errp, FOID_EINVAL, "XML part is not well-formed");
	xmlFreeTextReader(x.r);
	buf_free(&x.attr);
	return rc;
}
