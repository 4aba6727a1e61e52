from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import Choice, Question


def index(request):
    latest = Question.objects.filter(pub_date__lte=timezone.now()).order_by("-pub_date")[:5]
    return HttpResponse(", ".join(q.question_text for q in latest) or "No polls are available.")


def detail(request, question_id):
    question = get_object_or_404(Question, pk=question_id, pub_date__lte=timezone.now())
    return HttpResponse(question.question_text)


def vote(request, question_id):
    question = get_object_or_404(Question, pk=question_id)
    if request.method != "POST":
        raise Http404("Votes are POSTed")
    try:
        choice = question.choice_set.get(pk=request.POST["choice"])
    except (KeyError, Choice.DoesNotExist):
        return HttpResponse("You didn't select a choice.", status=400)
    choice.votes += 1
    choice.save()
    return HttpResponse(f"{choice.choice_text}: {choice.votes}")
