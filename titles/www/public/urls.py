from django.urls import path

from titles.www.public import views

# In the "titles" namespace (titles/urls.py), mounted at the site's root.
urlpatterns = [
    path("verifier/", views.verify, name="verify_form"),
    path("verifier/<str:code>/", views.verify, name="verify"),
    path("V/<str:code>", views.verify_short, name="verify_short"),  # what the QR codes carry (titles/pdf.py)
]

# Mounted at /statistiques/ by portal/urls.py, without a namespace, like the portal's other public pages.
statistics_urlpatterns = [
    path("", views.public_statistics, name="statistics"),
]
