from django.urls import path

from vehicles import achat, views

app_name = "vehicles"

urlpatterns = [
    path("", views.my_vehicles, name="my_vehicles"),
    path("<int:pk>/demarche/<slug:code>/", views.start_for_vehicle, name="start_for_vehicle"),
    path("cessions/<str:reference>/", views.declare_cession, name="declare_cession"),
    path("cessions/<str:reference>/code/", views.cession_code, name="cession_code"),
    path("cessions/<str:reference>/exemplaire/", views.seller_copy, name="seller_copy"),
    path("acquisition/", views.acquisition, name="acquisition"),
    path("pro/", views.pro_operations, name="pro"),
    path("pro/mandat/", views.request_mandate, name="request_mandate"),
    path("pro/achat/", achat.start_purchase, name="start_purchase"),
]
