"""Vocabulary shown in pages and e-mails, marked for the translators (pybabel extract -k N_):
the values themselves stay the API's."""
from __future__ import annotations

from service.notify.messages import N_

STATUSES = (N_("pending"), N_("accepted"), N_("declined"), N_("expired"), N_("cancelled"), N_("sent"),
            N_("queued"), N_("retrying"), N_("failed"), N_("finished"), N_("started"), N_("deferred"),
            N_("scheduled"), N_("open"), N_("preliminary"), N_("final"))
LINK_STATUSES = (N_("strong"), N_("weak"), N_("missing"))
KINDS = (N_("clusters"), N_("members"))
OFFER_TYPES = (N_("product"), N_("service"), N_("technology"), N_("licence"), N_("research"),
               N_("manufacturing"), N_("distribution"), N_("training"))
REQUEST_TYPES = (N_("client"), N_("distributor"), N_("supplier"), N_("licence"), N_("technology_partner"),
                 N_("research_partner"), N_("investor"), N_("consortium_partner"))
VISIBILITY = (N_("public"), N_("members"), N_("private"))
FIELDS = (N_("description"), N_("offers"), N_("requests"), N_("markets"), N_("target_markets"),
          N_("competences"), N_("certifications"), N_("contact"), N_("value_chain_links"))
