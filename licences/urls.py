from django.urls import path

from licences import views

app_name = "licences"

# The licences pages beyond the generic procedure wizard: the driving school's space and the student's answers.
urlpatterns = [
    path("auto-ecole/", views.school_space, name="school_space"),
    path("auto-ecole/eleves/nouveau/", views.new_student, name="new_student"),
    path("auto-ecole/transfert/", views.request_transfer, name="request_transfer"),
    path("mandat/<str:token>/", views.student_mandate, name="student_mandate"),
    path("transfert/<str:token>/", views.transfer_confirm, name="transfer_confirm"),
]
