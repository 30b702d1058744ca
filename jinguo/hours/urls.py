from django.urls import path

from .views import corrections, mine, records, stars

app_name = "hours"

urlpatterns = [
    # staff: the ledger in scope, one record, a correction, the review queue of held records
    path("", records.record_list, name="records"),
    path("<int:pk>/", records.record_detail, name="record_detail"),
    path("<int:pk>/correct/", records.record_correct, name="record_correct"),
    path("<int:pk>/release/", records.record_release, name="record_release"),
    path("<int:pk>/reject/", records.record_reject, name="record_reject"),
    path("review/", records.review, name="review"),
    # correction requests (R16)
    path("corrections/", corrections.correction_list, name="corrections"),
    path("corrections/<int:pk>/", corrections.correction_detail, name="correction_detail"),
    path("corrections/<int:pk>/accept/", corrections.correction_accept, name="correction_accept"),
    path("corrections/<int:pk>/reject/", corrections.correction_reject, name="correction_reject"),
    # star levels in scope (R19)
    path("stars/", stars.star_distribution, name="stars"),
    # her own archive and her requests, on the phone
    path("mine/", mine.mine, name="mine"),
    path("mine/corrections/new/", mine.correction_new, name="correction_new"),
]
