"""Every Dockerfile rule: a case that fires (rule id and lines) and one that must not."""

import pytest

from infra_expert.config import Config
from infra_expert.engine import all_rules

from conftest import hits

# Rules that apply only with a setting: the settings their cases are reviewed with.
SETTINGS = {"DF003": {"trusted_registries": ["docker.io", "*.corp.example"]}}

# (rule, Dockerfile text, expected lines of that rule, extra context files or None)
CASES = [
    # -- base images ------------------------------------------------------------------
    ("DF001", "FROM debian\n", [1], None),
    ("DF001", "FROM debian:12\nFROM scratch\n", [], None),
    ("DF001", "ARG BASE=debian\nFROM ${BASE}\n", [2], None),
    ("DF001", "ARG BASE=debian:12\nFROM ${BASE}\n", [], None),
    ("DF001", "FROM golang:1.23 AS build\nFROM build\n", [], None),
    ("DF001", "ARG TARGETARCH\nFROM base-${TARGETARCH}\n", [], None),
    ("DF003", "FROM docker.io/library/debian:12\nFROM ghcr.io/org/app:1.4\n", [2], None),
    ("DF003", "FROM debian:12\nFROM registry.corp.example/base/app:1.4\n", [], None),
    ("DF002", "FROM alpine:latest\n", [1], None),
    ("DF002", "FROM alpine:latest@sha256:" + "a" * 64 + "\n", [], None),
    ("DF002", "ARG TAG=latest\nFROM alpine:$TAG\n", [2], None),
    ("DF004", "FROM alpine:3.20\nRUN adduser -D app\nUSER root\n", [3], None),
    ("DF004", "FROM alpine:3.20\nCMD [\"sh\"]\n", [1], None),
    ("DF004", "FROM alpine:3.20\nUSER 10001\n", [], None),
    ("DF004", "FROM alpine:3.20 AS b\nUSER app\nFROM b\nCMD [\"x\"]\n", [], None),
    ("DF004", "FROM golang:1.23 AS build\nUSER root\nFROM alpine:3.20\nUSER 1000:1000\n", [], None),
    ("DF004", "FROM alpine:3.20\nARG U=0\nUSER ${U}\n", [3], None),
    ("DF004", "FROM alpine:3.20\nARG U=app\nUSER ${U}\n", [], None),
    ("DF004", "FROM gcr.io/distroless/static:nonroot\n", [], None),
    ("DF005", "FROM python:3.12-slim\n", [1], None),
    ("DF005", "FROM python:3.12-slim@sha256:" + "b" * 64 + "\n", [], None),
    ("DF005", "FROM golang:1.23 AS b\nFROM scratch\nCOPY --from=b /x /x\n", [], None),
    ("DF006", "FROM ubuntu:24.04\n", [1], None),
    ("DF006", "FROM python:3.12\nCMD [\"python\"]\n", [1], None),
    ("DF006", "FROM python:3.12 AS b\nFROM python:3.12-slim\n", [], None),
    ("DF006", "FROM gcr.io/distroless/python3-debian12\n", [], None),
    ("DF007", "FROM --platform=linux/amd64 debian:12\n", [1], None),
    ("DF007", "FROM --platform=$BUILDPLATFORM golang:1.23\n", [], None),
    ("DF008", "FROM --platform=$TARGETPLATFORM debian:12\n", [1], None),
    ("DF008", "FROM --platform=${BUILDPLATFORM} debian:12\n", [], None),
    ("DF009", "FROM ${BASE}\n", [1], None),
    ("DF009", "ARG BASE\nFROM $BASE\n", [2], None),
    ("DF009", "ARG BASE=debian:12\nFROM $BASE\n", [], None),
    ("DF009", "FROM --platform=$BUILDPLATFORM golang:1.23\nFROM alpine:3.20-${TARGETARCH}\n", [], None),
    # -- stages -----------------------------------------------------------------------
    ("DF010", "FROM a:1 AS x\nFROM b:1 AS X\n", [2], None),
    ("DF010", "FROM a:1 AS x\nFROM b:1 AS y\n", [], None),
    ("DF011", "FROM a:1 AS scratch\n", [1], None),
    ("DF011", "FROM a:1 AS builder\n", [], None),
    ("DF012", "FROM a:1 AS build\nFROM b:1\nCOPY --from=biuld /x /x\n", [3], None),
    ("DF012", "FROM a:1 AS build\nFROM b:1\nCOPY --from=5 /x /x\n", [3], None),
    ("DF012", "FROM a:1 AS build\nFROM b:1\nCOPY --from=build /x /x\nCOPY --from=nginx:1.27 /e /e\nCOPY --from=0 /y /y\n", [], None),
    ("DF013", "FROM a:1 AS build\nCOPY --from=build /x /y\n", [2], None),
    ("DF013", "FROM a:1 AS build\nFROM b:1 AS run\nCOPY --from=build /x /y\n", [], None),
    ("DF014", "FROM a:1\nFROM b:1\nCOPY --from=0 /x /y\n", [3], None),
    ("DF014", "FROM a:1 AS b\nFROM b:1\nCOPY --from=b /x /y\n", [], None),
    ("DF015", "FROM a:1 AS b\nFROM c:1\nCOPY --from=b / /\n", [3], None),
    ("DF015", "FROM a:1 AS b\nFROM c:1\nCOPY --from=b /app /app\n", [], None),
    # -- users, healthcheck, entrypoint -------------------------------------------------
    ("DF016", "FROM alpine:3.20\nRUN adduser -D app\nUSER app\n", [3], None),
    ("DF016", "FROM alpine:3.20\nUSER 10001:10001\n", [], None),
    ("DF017", "FROM nginx:1.27\nEXPOSE 80\n", [1], None),
    ("DF017", "FROM nginx:1.27-alpine\nCOPY site/ /usr/share/nginx/html/\n", [1], None),
    ("DF017", "FROM alpine:3.20\nRUN apk add --no-cache git=2.45.2-r0\n", [], None),
    ("DF017", "FROM nginx:1.27\nHEALTHCHECK CMD curl -f http://localhost/ || exit 1\nEXPOSE 80\n", [], None),
    ("DF017", "FROM nginx:1.27 AS base\nHEALTHCHECK CMD true\nFROM base\nEXPOSE 80\n", [], None),
    ("DF018", "FROM a:1\nHEALTHCHECK CMD a\nHEALTHCHECK CMD b\n", [3], None),
    ("DF018", "FROM a:1\nHEALTHCHECK CMD a\nFROM b:1\nHEALTHCHECK CMD b\n", [], None),
    ("DF019", "FROM a:1\nCMD python app.py\n", [2], None),
    ("DF019", "FROM a:1\nENTRYPOINT ['python', 'app.py']\n", [2], None),
    ("DF019", "FROM a:1\nENTRYPOINT [\"python\"]\nCMD [\"app.py\"]\n", [], None),
    ("DF020", "FROM a:1\nCMD [\"a\"]\nCMD [\"b\"]\n", [3], None),
    ("DF020", "FROM a:1\nCMD [\"a\"]\n", [], None),
    ("DF021", "FROM a:1\nENTRYPOINT [\"a\"]\nENTRYPOINT [\"b\"]\n", [3], None),
    ("DF021", "FROM a:1\nENTRYPOINT [\"a\"]\nFROM b:1\nENTRYPOINT [\"b\"]\n", [], None),
    ("DF022", "FROM a:1\nEXPOSE 80 70000\nEXPOSE 80/http\n", [2, 3], None),
    ("DF022", "FROM a:1\nEXPOSE 80/tcp 53/udp 8000-8010\nARG P=8080\nEXPOSE $P\n", [], None),
    ("DF023", "FROM a:1\nEXPOSE 22\n", [2], None),
    ("DF023", "FROM debian:12\nRUN apt-get install -y openssh-server\n", [2], None),
    ("DF023", "FROM debian:12\nRUN apt-get install -y openssh-client\nEXPOSE 2222\n", [], None),
    # -- paths and COPY ---------------------------------------------------------------
    ("DF024", "FROM a:1\nWORKDIR app\n", [2], None),
    ("DF024", "FROM a:1\nWORKDIR /app\nARG D=/srv\nWORKDIR $D\nWORKDIR C:\\\\app\n", [], None),
    ("DF025", "FROM a:1\nCOPY app.py app/\n", [2], None),
    ("DF025", "FROM a:1\nWORKDIR /app\nCOPY app.py .\n", [], None),
    ("DF025", "FROM a:1 AS b\nWORKDIR /app\nFROM b\nCOPY app.py .\n", [], None),
    ("DF026", "FROM a:1\nCOPY a.txt b.txt /app\n", [2], None),
    ("DF026", "FROM a:1\nCOPY a.txt b.txt /app/\nCOPY [\"a\", \"b\", \"/c/\"]\n", [], None),
    ("DF027", "FROM a:1\nADD app.py /app/\n", [2], None),
    ("DF027", "FROM a:1\nADD rootfs.tar.gz /\nADD --checksum=sha256:00 https://x.io/f /f\n", [], None),
    ("DF028", "FROM a:1\nADD https://example.com/tool.tgz /opt/\n", [2], None),
    ("DF028", "FROM a:1\nADD --checksum=sha256:abc https://example.com/tool.tgz /opt/\n", [], None),
    ("DF029", "FROM a:1\nCOPY app.tar.gz /tmp/\nRUN tar xzf /tmp/app.tar.gz -C /opt\n", [2], None),
    ("DF029", "FROM a:1\nADD app.tar.gz /opt/\n", [], None),
    # -- metadata instructions ---------------------------------------------------------
    ("DF030", "FROM a:1\nMAINTAINER me@example.com\n", [2], None),
    ("DF030", "FROM a:1\nLABEL org.opencontainers.image.authors=me\n", [], None),
    ("DF031", "FROM a:1\nLABEL Version=1 com.docker.x=y\n", [2, 2], None),
    ("DF031", "FROM a:1\nLABEL org.opencontainers.image.version=1 maintainer=me\n", [], None),
    ("DF032", "FROM a:1\nENV A=1 B=$A\n", [2], None),
    ("DF032", "FROM a:1\nENV A=1\nENV B=$A C=\\$A\n", [], None),
    ("DF033", "FROM a:1\nONBUILD FROM b:1\n", [2], None),
    ("DF033", "FROM a:1\nONBUILD RUN make\n", [], None),
    ("DF034", "RUN make\nFROM a:1\n", [1], None),
    ("DF034", "# c\nARG V=1\nFROM a:$V\n", [], None),
    ("DF035", "FROM a:1\nRUNN make\n", [2], None),
    ("DF035", "FROM a:1\nRUN make\nSTOPSIGNAL SIGTERM\n", [], None),
    ("DF036", "FROM a:1\nCOPY --frobnicate=1 a /a\n", [2], None),
    ("DF036", "FROM a:1\nCOPY --link --chmod=644 --parents a /a\nRUN --mount=type=cache,target=/x make\n", [], None),
    ("DF037", "# syntax=docker/dockerfile:1\n# syntax=x\nFROM a:1\n", [2], None),
    ("DF037", "FROM a:1\n# escape=`\nRUN x\n", [2], None),
    ("DF037", "# syntax=docker/dockerfile:1\n# escape=\\\nFROM a:1\n", [], None),
    ("DF038", "FROM a:1\nRUN <<EOF\necho hi\n", [2], None),
    ("DF038", "FROM a:1\nRUN <<EOF\necho hi\nEOF\n", [], None),
    ("DF039", "FROM a:1\nrun make\nRUN make\nRUN make\n", [2], None),
    ("DF039", "from a:1\nrun make\n", [], None),
    ("DF039", "FROM a:1 AS Build\nFROM b:1 AS run\nCOPY --from=build /x /x\n", [1], None),
    ("DF040", "FROM a:1\nRUN a \\\n\n  && b\n", [2], None),
    ("DF040", "FROM a:1\nRUN a \\\n  # comment\n  && b\n", [], None),
    # -- secrets and context -------------------------------------------------------------
    ("DF041", "FROM a:1\nENV DB_PASSWORD=hunter22\n", [2], None),
    ("DF041", "FROM a:1\nARG GH=ghp_" + "a1B2" * 9 + "\n", [2], None),
    ("DF041", "FROM a:1\nENV DB_PASSWORD_FILE=/run/secrets/db DB_PASSWORD=$PW JENKINS_USERNAME=bob\n", [], None),
    ("DF042", "FROM a:1\nARG NPM_TOKEN\nRUN npm ci\n", [2], None),
    ("DF042", "FROM a:1\nARG VERSION\nARG TOKEN_FILE\nARG JENKINS_USERNAME\n", [], None),
    ("DF042", "FROM a:1\nARG DB_PASSWORD=changeme\nENV ADMIN_PASSWORD=changeme\nENV API_TOKEN=$API_TOKEN\n", [2, 3, 4], None),
    ("DF042", "FROM a:1\nENV DB_PASSWORD_FILE=/run/secrets/db PASSWORD_MIN_LENGTH=12\n", [], None),
    ("DF043", "FROM a:1\nCOPY id_rsa /root/.ssh/id_rsa\nCOPY .env /app/.env\n", [2, 3], None),
    ("DF043", "FROM a:1\nCOPY id_rsa.pub /root/.ssh/\nCOPY .env.example /app/\n", [], None),
    ("DF044", "FROM a:1\nWORKDIR /app\nCOPY . .\n", [3], {".env": "TOKEN=x\n"}),
    ("DF044", "FROM a:1\nWORKDIR /app\nCOPY . .\n", [], {".env": "TOKEN=x\n", ".dockerignore": ".env\n"}),
    ("DF045", "FROM a:1\nWORKDIR /app\nCOPY . .\n", [3], {"app.py": "x"}),
    ("DF045", "FROM a:1\nWORKDIR /app\nCOPY app.py .\n", [], {"app.py": "x"}),
    ("DF046", "FROM a:1\nWORKDIR /app\nCOPY . .\n", [3], {".dockerignore": "*.pyc\n"}),
    ("DF046", "FROM a:1\nWORKDIR /app\nCOPY . .\n", [], {".dockerignore": ".git\n.env*\n**/*.pem\n", "server.pem": "k"}),
    ("DF047", "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\n", [3], None),
    ("DF047", "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\n", [], None),
    ("DF048", "FROM a:1\nRUN curl -H 'Authorization: token ghp_" + "Z9y8" * 9 + "' https://x\n", [2], None),
    ("DF048", "FROM a:1\nRUN --mount=type=secret,id=gh curl -H @/run/secrets/gh https://x\n", [], None),
    ("DF049", "FROM a:1\nWORKDIR /app\nCOPY --chown=app:app . .\nUSER app\n", [3], None),
    ("DF049", "FROM a:1\nWORKDIR /app\nCOPY --chown=root:app . .\nUSER app\n", [], None),
    # -- apt ------------------------------------------------------------------------------
    ("DF050", "FROM debian:12\nRUN apt-get update && apt-get install curl\n", [2], None),
    ("DF050", "FROM debian:12\nRUN apt-get install -qq curl && apt-get install --yes git && apt-get install -s x\n", [], None),
    ("DF051", "FROM debian:12\nRUN apt-get install -y curl\n", [2], None),
    ("DF051", "FROM debian:12\nRUN apt-get install -y --no-install-recommends curl\n", [], None),
    ("DF052", "FROM debian:12\nRUN apt-get install -y curl=8.5.0 git\n", [2], None),
    ("DF052", "FROM debian:12\nRUN apt-get install -y curl=8.5.0 ./local.deb $PKGS\n", [], None),
    # variables are resolved from ARG/ENV before judging, never guessed
    ("DF052", "FROM debian:12\nARG PKGS=\"curl git\"\nRUN apt-get install -y $PKGS\n", [3], None),
    ("DF052", "FROM debian:12\nRUN deps='curl git' && apt-get install -y $deps\n", [2], None),
    ("DF052", "FROM debian:12\nRUN deps='curl=1 git=2' && apt-get install -y $deps\n", [], None),
    ("DF052", "FROM debian:12\nRUN deps='curl git' set -x && apt-get install -y $deps\n", [2], None),
    ("DF052", "FROM debian:12\nENV V=8.5.0\nRUN apt-get install -y curl=$V curl-doc=${V}\n", [], None),
    ("DF053", "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n", [2], None),
    ("DF053", "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n", [], None),
    ("DF053", "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt/lists apt-get update && apt-get install -y curl\n", [], None),
    ("DF053", "FROM debian:12 AS build\nRUN apt-get update && apt-get install -y gcc\nFROM scratch\n", [], None),
    ("DF054", "FROM debian:12\nRUN apt install -y curl\n", [2], None),
    ("DF054", "FROM debian:12\nRUN apt-get install -y curl\n", [], None),
    ("DF055", "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n", [2], None),
    ("DF055", "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n", [], None),
    # -- apk, yum, dnf, zypper ---------------------------------------------------------
    ("DF056", "FROM alpine:3.20\nRUN apk add --no-cache curl\n", [2], None),
    ("DF056", "FROM alpine:3.20\nRUN apk add --no-cache curl=8.5.0-r0 git~2.45 --virtual .deps\n", [], None),
    ("DF057", "FROM alpine:3.20\nRUN apk update && apk add curl=8.5.0-r0\n", [2], None),
    ("DF057", "FROM alpine:3.20\nRUN apk add --no-cache curl=8.5.0-r0\n", [], None),
    ("DF058", "FROM centos:7\nRUN yum install httpd-2.4 && yum clean all\n", [2], None),
    ("DF058", "FROM centos:7\nRUN yum install -y httpd-2.4 && yum clean all\n", [], None),
    ("DF059", "FROM centos:7\nRUN yum install -y httpd-2.4\n", [2], None),
    ("DF059", "FROM centos:7\nRUN yum install -y httpd-2.4 && yum clean all\n", [], None),
    ("DF060", "FROM centos:7\nRUN yum install -y httpd && yum clean all\n", [2], None),
    ("DF060", "FROM centos:7\nRUN yum install -y httpd-2.4.57 && yum clean all\n", [], None),
    ("DF061", "FROM fedora:40\nRUN dnf install httpd-2.4 && dnf clean all\n", [2], None),
    ("DF061", "FROM fedora:40\nRUN microdnf install -y httpd-2.4 && microdnf clean all\n", [], None),
    ("DF062", "FROM fedora:40\nRUN dnf install -y httpd-2.4\n", [2], None),
    ("DF062", "FROM fedora:40\nRUN dnf install -y httpd-2.4 && dnf clean all\n", [], None),
    ("DF063", "FROM fedora:40\nRUN dnf install -y httpd && dnf clean all\n", [2], None),
    ("DF063", "FROM fedora:40\nRUN dnf install -y httpd-2.4.57 @development-tools && dnf clean all\n", [], None),
    ("DF064", "FROM opensuse/leap:15\nRUN zypper install curl=8 && zypper clean\n", [2], None),
    ("DF064", "FROM opensuse/leap:15\nRUN zypper --non-interactive install curl=8 && zypper clean\n", [], None),
    ("DF065", "FROM opensuse/leap:15\nRUN zypper -n dup && zypper clean\n", [2], None),
    ("DF065", "FROM opensuse/leap:15\nRUN zypper -n up && zypper clean\n", [], None),
    ("DF066", "FROM opensuse/leap:15\nRUN zypper -n install curl=8\n", [2], None),
    ("DF066", "FROM opensuse/leap:15\nRUN zypper -n install curl=8 && zypper clean -a\n", [], None),
    ("DF067", "FROM opensuse/leap:15\nRUN zypper -n install curl && zypper clean\n", [2], None),
    ("DF067", "FROM opensuse/leap:15\nRUN zypper -n install 'curl>=8' && zypper clean\n", [], None),
    # unquoted, `>=8` is a redirection in the shell: curl is installed unpinned
    ("DF067", "FROM opensuse/leap:15\nRUN zypper -n install curl>=8 && zypper clean\n", [2], None),
    # -- language package managers --------------------------------------------------------
    ("DF068", "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask\n", [2], None),
    ("DF068", "FROM python:3.12-slim\nRUN python3 -m pip install --upgrade pip\n", [2], None),
    ("DF068", "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask==3.0 'requests>=2' -r req.txt . /wheels/x.whl\n", [], None),
    ("DF068", "FROM python:3.12-slim\nRUN pip install --no-cache-dir --index-url https://pypi.example flask==3.0\n", [], None),
    ("DF069", "FROM python:3.12-slim\nRUN pip install -r requirements.txt\n", [2], None),
    ("DF069", "FROM python:3.12-slim\nRUN pip install --no-cache-dir -r requirements.txt\n", [], None),
    ("DF069", "FROM python:3.12-slim\nENV PIP_NO_CACHE_DIR=1\nRUN pip install -r requirements.txt\n", [], None),
    ("DF069", "FROM python:3.12-slim\nRUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\n", [], None),
    ("DF070", "FROM node:22-slim\nRUN npm install -g typescript\n", [2], None),
    ("DF070", "FROM node:22-slim\nRUN npm ci && npm install -g typescript@5.6.2 @scope/pkg@1.0.0 && npm install\n", [], None),
    ("DF071", "FROM node:22-slim\nRUN yarn install --frozen-lockfile\n", [2], None),
    ("DF071", "FROM node:22-slim\nRUN yarn install --frozen-lockfile && yarn cache clean\n", [], None),
    ("DF072", "FROM ruby:3.3-slim\nRUN gem install bundler\n", [2], None),
    ("DF072", "FROM ruby:3.3-slim\nRUN gem install bundler:2.5.0 && gem install rails -v 7.1\n", [], None),
    ("DF073", "FROM golang:1.23\nRUN go install example.com/tool@latest\n", [2], None),
    ("DF073", "FROM golang:1.23\nRUN go install example.com/tool@v1.2.3 && go install ./cmd/...\n", [], None),
    # -- shell hygiene ---------------------------------------------------------------------
    ("DF074", "FROM debian:12\nRUN sudo apt-get install -y curl\n", [2], None),
    ("DF074", "FROM debian:12\nRUN echo sudo\n", [], None),
    ("DF075", "FROM debian:12\nRUN cd /tmp && make\n", [2], None),
    ("DF075", "FROM debian:12\nWORKDIR /tmp\nRUN (cd sub && make) && make install\n", [], None),
    ("DF076", "FROM debian:12\nRUN service nginx start\n", [2], None),
    ("DF076", "FROM debian:12\nRUN systemctl enable nginx\n", [], None),
    ("DF077", "FROM debian:12\nRUN wget -qO- https://x | tar xz\n", [2], None),
    ("DF077", "FROM debian:12\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN wget -qO- https://x | tar xz\n", [], None),
    ("DF077", "FROM alpine:3.20\nSHELL [\"/bin/sh\", \"-o\", \"pipefail\", \"-c\"]\nRUN wget -qO- https://x | tar xz\n", [], None),
    ("DF077", "FROM debian:12\nRUN set -eux -o pipefail; wget -qO- https://x | tar xz\n", [], None),
    # `x86_64|aarch64)` is a case pattern (nginx's alpine image), not a pipe; a real pipe
    # in a branch still is
    ("DF077", "FROM alpine:3.20\nRUN set -x \\\n  && case \"$(cat /etc/apk/arch)\" in \\\n"
              "    x86_64|aarch64) apk add --no-cache nginx ;; \\\n    *) exit 1 ;; \\\n  esac\n", [], None),
    ("DF077", "FROM alpine:3.20\nRUN case \"$(uname -m)\" in \\\n"
              "    x86_64) wget -qO- https://x | tar xz ;; \\\n  esac\n", [2], None),
    ("DF077", "# hadolint shell=powershell\nFROM mcr.microsoft.com/powershell:7.4\nRUN iwr https://x | iex\n", [], None),
    ("DF078", "FROM debian:12\nRUN curl -fsSL https://get.example.sh | sh\n", [2], None),
    ("DF078", "FROM debian:12\nRUN curl -fsSLo i.sh https://get.example.sh && sha256sum -c sums && sh i.sh\n", [], None),
    ("DF079", "FROM debian:12\nRUN chmod -R 777 /app\n", [2], None),
    ("DF079", "FROM debian:12\nRUN chmod 1777 /tmp/shared && chmod 755 /app\n", [], None),
    ("DF080", "FROM debian:12\nRUN curl -fsSLo a https://x/a\nRUN wget -q https://x/b\n", [3], None),
    ("DF080", "FROM debian:12\nRUN curl -fsSLo a https://x/a\nFROM debian:12\nRUN wget -q https://x/b\n", [], None),
    ("DF081", "FROM debian:12\nRUN wget https://x/a\n", [2], None),
    ("DF081", "FROM debian:12\nRUN wget -q https://x/a && wget --progress=dot:giga https://x/b\n", [], None),
    ("DF082", "FROM debian:12\nRUN ln -sf /bin/bash /bin/sh\n", [2], None),
    ("DF082", "FROM debian:12\nRUN ln -sf /usr/bin/python3 /usr/bin/python\n", [], None),
    ("DF083", "FROM debian:12\nRUN useradd -u 1000000 app\n", [2], None),
    ("DF083", "FROM debian:12\nRUN useradd -l -u 1000000 app && useradd -u 1000 b\n", [], None),
    ("DF084", "FROM debian:12\nRUN mkdir /a\nRUN mkdir /b\n", [3], None),
    ("DF084", "FROM debian:12\nRUN mkdir /a\nCOPY x /a/\nRUN mkdir /b && touch /b/c\n", [], None),
    ("DF086", "FROM debian:12\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\n", [2], None),
    ("DF086", "FROM debian:12\nRUN <<EOF\nset -eux\napt-get update\napt-get install -y curl\nEOF\n", [], None),
    ("DF086", "FROM debian:12\nRUN <<EOF\napt-get update && apt-get install -y curl\nEOF\n", [], None),
    ("DF086", "FROM debian:12\nSHELL [\"/bin/bash\", \"-euo\", \"pipefail\", \"-c\"]\nRUN <<EOF\na\nb\nEOF\n", [], None),
    ("DF085", "FROM python:3.12-slim\nRUN apt-get install -y --no-install-recommends gcc libpq-dev\n", [2], None),
    ("DF085", "FROM python:3.12-slim AS build\nRUN apt-get install -y gcc\nFROM python:3.12-slim\nCOPY --from=build /w /w\n", [], None),
    # DF104 needs ShellCheck (the `test` extra installs it): tests/test_shellcheck.py
    ("DF104", "FROM debian:12\nRUN if [ -f /x ]; then \\\n      echo yes\nUSER 1000\n", [2], None),
    ("DF104", "FROM debian:12\nRUN if [ -f /x ]; then \\\n      echo yes; \\\n    fi\n", [], None),
]

from test_severity import DOCKERFILE_CASES  # noqa: E402
CASES += DOCKERFILE_CASES   # compound risks: tests/test_severity.py


from test_senior_rules import DOCKERFILE_SENIOR  # noqa: E402
CASES += DOCKERFILE_SENIOR   # issue 8 item 5: tests/test_senior_rules.py

from test_logging_rules import DOCKERFILE_LOGGING  # noqa: E402
CASES += DOCKERFILE_LOGGING   # what services log: tests/test_logging_rules.py

@pytest.mark.parametrize("rule_id,text,expected,files", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule(review_dockerfile, rule_id, text, expected, files):
    config = Config()
    for key, value in SETTINGS.get(rule_id, {}).items():
        setattr(config, key, value)
    result = review_dockerfile(text, files, config=config)
    assert hits(result, rule_id) == expected
    assert not result.notices, [n.message for n in result.notices]


def test_trusted_registries(review_dockerfile):
    cfg = Config()
    cfg.trusted_registries = ["docker.io", "*.corp.example"]
    text = ("FROM debian:12\nFROM ghcr.io/org/app:1\nFROM registry.corp.example/base:1\n"
            "FROM index.docker.io/library/alpine:3\n")
    assert hits(review_dockerfile(text, config=cfg), "DF003") == [2]
    assert hits(review_dockerfile(text), "DF003") == []   # only with the setting


def test_every_rule_has_a_firing_and_a_clean_case():
    fired = {c[0] for c in CASES if c[2]}
    clean = {c[0] for c in CASES if not c[2]}
    dockerfile_rules = {r.id for r in all_rules() if r.domain == "dockerfile"}
    assert dockerfile_rules <= fired, sorted(dockerfile_rules - fired)
    assert dockerfile_rules <= clean, sorted(dockerfile_rules - clean)


def test_secret_is_masked_in_message(review_dockerfile):
    result = review_dockerfile("FROM a:1\nENV API_KEY=sup3r-s3cret-value\n")
    messages = " ".join(f.message for f in result.findings)
    assert "sup3r-s3cret-value" not in messages
    assert "API_KEY=****" in messages


def test_positive_points(review_dockerfile):
    text = ("FROM python:3.12-slim@sha256:" + "c" * 64 + "\n"
            "HEALTHCHECK CMD python -c 'print(1)'\nUSER 10001\n")
    result = review_dockerfile(text, {".dockerignore": ".git\n.env*\n"})
    rules = {p.rule.id for p in result.positives}
    assert {"DF004", "DF005", "DF006", "DF017"} <= rules
    assert "Final stage runs as non-root user `10001`" in [p.message for p in result.positives]


def test_compose_user_and_healthcheck_are_taken_into_account(tmp_path):
    from conftest import run_review, write_tree
    write_tree(tmp_path, {
        "app/Dockerfile": "FROM python:3.12-slim\nEXPOSE 8000\nCMD [\"python\", \"app.py\"]\n",
        "compose.yaml": "services:\n  app:\n    build: ./app\n    user: \"1000:1000\"\n"
                        "    healthcheck:\n      test: [\"CMD\", \"python\", \"-c\", \"1\"]\n"})
    rules = {f.rule.id for f in run_review(tmp_path).findings}
    assert "DF004" not in rules and "DF017" not in rules
    write_tree(tmp_path, {"compose.yaml": "services:\n  app:\n    build: ./app\n"})
    rules = {f.rule.id for f in run_review(tmp_path).findings}
    assert "DF004" in rules and "DF017" in rules and "DC035" not in rules


def test_no_positive_when_rule_fired(review_dockerfile):
    result = review_dockerfile("FROM python:3.12-slim\nUSER 1000\nFROM python:3.12-slim\n")
    assert hits(result, "DF004") == [3]
    assert "DF004" not in {p.rule.id for p in result.positives}
