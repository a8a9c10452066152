"""The "titles" namespace: the citizen's pages and the public verification, both from the UI package
`titles/www/` (the back office, mediation and statistics are mounted by portal/urls.py)."""

from titles.www.citizen import urls as citizen_urls
from titles.www.public import urls as public_urls

app_name = "titles"

urlpatterns = [*citizen_urls.urlpatterns, *public_urls.urlpatterns]
