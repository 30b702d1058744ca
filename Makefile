# The two commands: `make run` and `make test`. Both install what is missing on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
VENDOR := jinguo/static/vendor
export DJANGO_SETTINGS_MODULE ?= config.settings.local
export PYTHONUNBUFFERED := 1

.PHONY: run test deps system-deps browser-deps venv assets migrate demo lint check bench clean lock

run: deps migrate demo
	@$(PY) manage.py demo_accounts
	@$(PY) manage.py demands_sweep --schedule
	@$(PY) manage.py care_sweep --schedule
	@echo "巾帼志愿服务平台: http://127.0.0.1:8000  (Ctrl-C 停止)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(PY) manage.py db_worker --no-startup-delay --interval 0.5 --no-reload & \
	  $(PY) manage.py runserver 127.0.0.1:8000 --noreload

test: deps browser-deps
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

deps: system-deps venv assets

# The CJK font renders Chinese in PDFs and in the headless browser.
system-deps:
	@if ! dpkg -s fonts-wqy-microhei >/dev/null 2>&1; then \
	  echo "安装中文字体 fonts-wqy-microhei"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei; \
	fi

browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "安装 chromium（浏览器端到端测试）"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

venv: $(VENV)/.synced

$(VENV)/.synced: requirements-dev.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install -q uv
	@[ -x $(PY) ] || uv venv -q $(VENV) --python $(PYTHON)
	uv pip sync -q --python $(PY) --require-hashes requirements-dev.lock
	@touch $@

assets: $(VENDOR)/.copied

$(VENDOR)/.copied: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(VENDOR)/fonts
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js $(VENDOR)/
	cp node_modules/bootstrap-icons/font/bootstrap-icons.min.css $(VENDOR)/
	cp node_modules/bootstrap-icons/font/fonts/* $(VENDOR)/fonts/
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/echarts/dist/echarts.min.js $(VENDOR)/
	@touch $@

migrate: deps
	$(PY) manage.py migrate --noinput -v 0

demo: migrate
	$(PY) manage.py seed_demo --once

lint: venv
	$(VENV)/bin/ruff check .

bench: deps
	$(PY) bench/run.py $(BENCH_ARGS)

lock:
	uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -q -o requirements.lock
	uv pip compile pyproject.toml --group dev --generate-hashes --python-version 3.11 -q -o requirements-dev.lock

clean:
	rm -rf $(VENV) node_modules $(VENDOR) staticfiles
