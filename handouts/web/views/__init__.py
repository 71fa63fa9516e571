"""The app's pages, one blueprint per thing staff do: find a document (catalog), look at
and print one (document), make a packet (packet), email it (email), sign in (signin)."""

from .catalog import catalog
from .document import document
from .email import email
from .packet import packet
from .signin import signin

BLUEPRINTS = (catalog, document, packet, email, signin)
