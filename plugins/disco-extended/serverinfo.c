/*
 * serverinfo.c: the service's own disco#info carries the operator's extended
 * information (XEP-0128): the XEP-0157 contact addresses as the
 * http://jabber.org/network/serverinfo form, and any site form from the
 * config, each a result form with its FORM_TYPE. Everything comes from the
 * parsed settings; nothing here depends on MUC.
 */
#include "disco_ext.h"

int dx_serverinfo_add(const settings_t *s, pv_el_t *query)
{
    for (size_t i = 0; i < s->nforms; i++) {
        const site_form_t *f = &s->forms[i];
        pv_el_t *x = pv_form_new(query, "result", f->form_type, NULL, NULL);
        if (!x)
            return -1;
        bool addresses = strcmp(f->form_type, NS_SERVERINFO) == 0;
        for (size_t j = 0; j < f->nfields; j++) {
            const site_field_t *fl = &f->fields[j];
            /* XEP-0157 address fields are list-multi; site fields say
             * nothing about their type: text-single, or text-multi when
             * the config gave several values. */
            const char *type = addresses ? "list-multi" : fl->nvalues > 1 ? "text-multi" : NULL;
            pv_el_t *field = pv_form_add_field(x, fl->var, type, NULL, NULL);
            if (!field)
                return -1;
            for (size_t k = 0; k < fl->nvalues; k++)
                if (pv_form_add_value(field, fl->values[k]) < 0)
                    return -1;
        }
    }
    return 0;
}
