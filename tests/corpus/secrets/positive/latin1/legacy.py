# -*- coding: latin-1 -*-
# Größe der Puffer, Übertragung der Daten
PUFFER_GROESSE = 4096
passwort = "⟦=Übergröße-Käse42⟧"
API_TOKEN = "⟦generic32#7⟧"
