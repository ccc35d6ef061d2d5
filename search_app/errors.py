"""Error pages for people and JSON errors for the API (``{"error": {"code", "message"}}``).

A 500 says only that something went wrong: the exception's text and type go to the log, never
into a response (they can carry absolute paths and SQL)."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from archive.errors import DamagedError, IndexDamagedError, UnavailableError

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "too_many_requests",
    500: "internal_error",
    501: "not_implemented",
    503: "busy",
}
TITLES = {
    400: "请求有误",
    401: "需要登录",
    403: "没有权限",
    404: "未找到",
    405: "不支持的请求方法",
    413: "文件太大",
    429: "尝试次数过多",
    500: "服务器内部错误",
    501: "暂不支持",
    503: "系统繁忙",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, message: str, code: str | None = None, **extra: Any) -> Any:
    body = {"error": {"code": code or CODES.get(status, "error"), "message": message, **extra}}
    return jsonify(body), status


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        message = exc.description or TITLES.get(status, "")
        if status == 401:
            message = "该操作需要登录工作人员账号。"
        elif status == 429 and request.endpoint == "auth.login":
            message = "登录失败次数过多，请稍后再试。"
        headers = {k: v for k, v in exc.get_headers() if k in ("Retry-After", "Allow")}
        if wants_json():
            body, _ = json_error(status, message)
            return body, status, headers
        return (
            render_template(
                "error.html", status=status, title=TITLES.get(status, "错误"), message=message
            ),
            status,
            headers,
        )

    @app.errorhandler(DamagedError)
    def damaged(exc: DamagedError) -> Any:
        """Stored data that cannot be read (a damaged row, an unreadable index): a clear 503
        until ``gongkai verify --repair`` or a restore mends it; the details go to the log."""
        app.logger.error("damaged data: %s (%r)", exc, exc.__cause__)
        message = "该文件或检索索引的存储数据已损坏，管理员正在修复，请稍后再试。"
        code = "damaged"
        if isinstance(exc, IndexDamagedError):
            message = "检索索引需要修复，暂时无法检索；管理员修复后即可恢复，请稍后再试。"
            code = "index_damaged"
        if wants_json():
            return json_error(503, message, code)
        return render_template("error.html", status=503, title=TITLES[503], message=message), 503

    @app.errorhandler(UnavailableError)
    def unavailable(exc: UnavailableError) -> Any:
        """The archive's database does not answer (restarting): a clear 503 with no
        exception text; the connection is opened again on the next request."""
        app.logger.warning("archive database unavailable: %s", exc)
        message = "文件库数据库暂时无法连接，请稍后再试。"
        headers = {"Retry-After": "5"}
        if wants_json():
            body, _ = json_error(503, message, "database_unavailable")
            return body, 503, headers
        page = render_template("error.html", status=503, title=TITLES[503], message=message)
        return page, 503, headers

    if app.testing:
        return  # let tests see the traceback

    @app.errorhandler(Exception)
    def internal_error(exc: Exception) -> Any:
        app.logger.exception("unhandled error")
        if wants_json():
            return json_error(500, "internal error; it has been logged")
        return (
            render_template(
                "error.html", status=500, title=TITLES[500], message="页面出错了，请稍后再试。"
            ),
            500,
        )
