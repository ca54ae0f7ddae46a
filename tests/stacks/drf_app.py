"""Django + Django REST framework as their documentation shows them: `TokenAuthentication`
and `SessionAuthentication` as the default authentication classes with `IsAuthenticated`,
and a view authenticated by djangorestframework-simplejwt's `JWTAuthentication`.

    python -m tests.stacks.drf_app PORT DATABASE_FILE

Starts with `migrate` into a fresh SQLite file and one user, alice, with an API token.
"""

from __future__ import annotations

import sys
from typing import ClassVar

import django
from django.conf import settings
from django.core.management import call_command
from django.urls import path

from tests.stacks.accounts import JWT_SECRET, PASSWORD, TOKEN, USER

settings.configure(
    DEBUG=False,
    SECRET_KEY="stack-apps-django-secret-key-not-for-production",
    ALLOWED_HOSTS=["localhost", "127.0.0.1"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "django.contrib.sessions",
        "rest_framework",
        "rest_framework.authtoken",
    ],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": sys.argv[2] if len(sys.argv) > 2 else ":memory:"}},
    USE_TZ=True,
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "rest_framework.authentication.TokenAuthentication",
            "rest_framework.authentication.SessionAuthentication",
        ],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    },
    SIMPLE_JWT={"SIGNING_KEY": JWT_SECRET},
)
django.setup()

from rest_framework.response import Response  # noqa: E402  (needs the settings above)
from rest_framework.views import APIView  # noqa: E402
from rest_framework_simplejwt.authentication import JWTAuthentication  # noqa: E402


class Me(APIView):
    def get(self, request):
        return Response({"username": request.user.username})


class JwtMe(Me):
    authentication_classes: ClassVar[list] = [JWTAuthentication]


urlpatterns = [
    path("api/me/", Me.as_view()),
    path("api/jwt/me/", JwtMe.as_view()),
]


def create_alice() -> None:
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    alice = User.objects.create_user(USER, password=PASSWORD)
    Token.objects.create(user=alice, key=TOKEN)


if __name__ == "__main__":
    call_command("migrate", verbosity=0)
    create_alice()
    call_command("runserver", f"127.0.0.1:{sys.argv[1]}", use_reloader=False, skip_checks=True)
