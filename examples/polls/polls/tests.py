import datetime

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from .models import Choice, Question


def create_question(text, days):
    return Question.objects.create(question_text=text, pub_date=timezone.now() + datetime.timedelta(days=days))


class QuestionModelTests(TestCase):
    def test_future_question_is_not_recent(self):
        self.assertIs(Question(pub_date=timezone.now() + datetime.timedelta(days=30)).was_published_recently(), False)

    def test_old_question_is_not_recent(self):
        self.assertIs(Question(pub_date=timezone.now() - datetime.timedelta(days=1, seconds=1)).was_published_recently(), False)

    def test_recent_question_is_recent(self):
        self.assertIs(Question(pub_date=timezone.now() - datetime.timedelta(hours=23)).was_published_recently(), True)

    def test_str(self):
        self.assertEqual(str(Question(question_text="What's up?")), "What's up?")


class IndexViewTests(TestCase):
    def test_no_questions(self):
        response = self.client.get(reverse("polls:index"))
        self.assertContains(response, "No polls are available.")

    def test_past_question(self):
        create_question("Past question.", -30)
        self.assertContains(self.client.get(reverse("polls:index")), "Past question.")

    def test_future_question_hidden(self):
        create_question("Future question.", 30)
        self.assertContains(self.client.get(reverse("polls:index")), "No polls are available.")

    def test_five_most_recent(self):
        for day in range(1, 8):
            create_question(f"Q{day}", -day)
        self.assertEqual(self.client.get(reverse("polls:index")).content.decode(), "Q1, Q2, Q3, Q4, Q5")


class DetailViewTests(TestCase):
    def test_future_question_is_404(self):
        question = create_question("Future.", 5)
        self.assertEqual(self.client.get(reverse("polls:detail", args=(question.id,))).status_code, 404)

    def test_past_question_is_shown(self):
        question = create_question("Past.", -5)
        self.assertContains(self.client.get(reverse("polls:detail", args=(question.id,))), "Past.")


class VoteViewTests(TestCase):
    def setUp(self):
        self.question = create_question("Pick one", -1)
        self.choice = Choice.objects.create(question=self.question, choice_text="Pony")

    def test_vote_counts(self):
        response = self.client.post(reverse("polls:vote", args=(self.question.id,)), {"choice": self.choice.id})
        self.assertContains(response, "Pony: 1")

    def test_vote_without_choice(self):
        response = self.client.post(reverse("polls:vote", args=(self.question.id,)), {})
        self.assertEqual(response.status_code, 400)

    def test_vote_by_get_is_404(self):
        self.assertEqual(self.client.get(reverse("polls:vote", args=(self.question.id,))).status_code, 404)
