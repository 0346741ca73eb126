/* report/svg.c: inline-SVG plot primitives (see svg.h). */
#include "report/svg.h"

#include <math.h>

void gn__html_text(FILE *out, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*s, out);
        }
    }
}

static double tx(const gn__plot *p, double x) { return p->xlog ? log10(x) : x; }

double gn__plot_x(const gn__plot *p, double x) {
    double a = tx(p, p->x0), b = tx(p, p->x1);
    double f = b > a ? (tx(p, x) - a) / (b - a) : 0.5;
    return p->left + f * p->w;
}

double gn__plot_y(const gn__plot *p, double y) {
    double f = p->y1 > p->y0 ? (y - p->y0) / (p->y1 - p->y0) : 0.5;
    return p->top + (1 - f) * p->h;
}

/* A "nice" tick step for a range: 1, 2 or 5 times a power of ten, about 5 ticks. */
static double nice_step(double range) {
    if (!(range > 0)) return 1;
    double raw = range / 5, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

void gn__plot_begin(gn__plot *p, FILE *out, const char *id, const char *title, const char *xlabel, const char *ylabel,
                    double x0, double x1, double y0, double y1, int xlog, const char *extra_attrs) {
    p->out = out;
    p->x0 = x0;
    p->x1 = x1;
    p->y0 = y0;
    p->y1 = y1;
    p->xlog = xlog && x0 > 0 && x1 > x0;
    p->w = 300;
    p->h = 220;
    p->left = 55;
    p->top = 30;
    fprintf(out, "<svg id=\"%s\" class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"380\" height=\"300\" "
                 "viewBox=\"0 0 380 300\" %s>\n<title>", id, extra_attrs ? extra_attrs : "");
    gn__html_text(out, title);
    fprintf(out, "</title>\n<text class=\"ttl\" x=\"190\" y=\"18\" text-anchor=\"middle\">");
    gn__html_text(out, title);
    fprintf(out, "</text>\n<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", p->left, p->top,
            p->w, p->h);
    /* y ticks */
    double st = nice_step(y1 - y0);
    for (double v = ceil(y0 / st) * st; v <= y1 + st * 1e-9; v += st) {
        double y = gn__plot_y(p, v);
        fprintf(out, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                     "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.4g</text>\n",
                p->left, p->left + p->w, y, y, p->left - 4, y + 4, fabs(v) < st * 1e-9 ? 0.0 : v);
    }
    /* x ticks */
    if (p->xlog) {
        for (double e = floor(log10(x0)); e <= ceil(log10(x1)); e++) {
            double v = pow(10, e);
            if (v < x0 * 0.999 || v > x1 * 1.001) continue;
            double x = gn__plot_x(p, v);
            fprintf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", x,
                    p->top + p->h + 14, v);
        }
    } else {
        st = nice_step(x1 - x0);
        for (double v = ceil(x0 / st) * st; v <= x1 + st * 1e-9; v += st) {
            double x = gn__plot_x(p, v);
            fprintf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.4g</text>\n", x,
                    p->top + p->h + 14, fabs(v) < st * 1e-9 ? 0.0 : v);
        }
    }
    fprintf(out, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", p->left + p->w / 2, p->top + p->h + 32);
    gn__html_text(out, xlabel);
    fprintf(out, "</text><text class=\"axis\" transform=\"translate(14,%.1f) rotate(-90)\" text-anchor=\"middle\">",
            p->top + p->h / 2);
    gn__html_text(out, ylabel);
    fprintf(out, "</text>\n");
}

void gn__plot_end(gn__plot *p) { fprintf(p->out, "</svg>\n"); }

void gn__plot_line(gn__plot *p, const double *xs, const double *ys, size_t n, const char *cls) {
    fprintf(p->out, "<polyline class=\"%s\" points=\"", cls);
    for (size_t i = 0; i < n; i++)
        if (isfinite(xs[i]) && isfinite(ys[i]))
            fprintf(p->out, "%.1f,%.1f ", gn__plot_x(p, xs[i]), gn__plot_y(p, ys[i]));
    fprintf(p->out, "\"/>\n");
}

void gn__plot_point(gn__plot *p, double x, double y, const char *cls) {
    if (!isfinite(x) || !isfinite(y)) return;
    fprintf(p->out, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"/>\n", cls, gn__plot_x(p, x), gn__plot_y(p, y));
}

void gn__plot_bar(gn__plot *p, double xa, double xb, double y, const char *cls) {
    double X0 = gn__plot_x(p, xa), X1 = gn__plot_x(p, xb), Y = gn__plot_y(p, y), Y0 = gn__plot_y(p, p->y0 > 0 ? p->y0 : 0);
    fprintf(p->out, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", cls, X0,
            Y < Y0 ? Y : Y0, X1 - X0 > 0.5 ? X1 - X0 - 0.5 : 0.5, fabs(Y0 - Y));
}

void gn__plot_errbar(gn__plot *p, double x, double y, double e, const char *cls) {
    if (!isfinite(x) || !isfinite(y) || !isfinite(e)) return;
    double X = gn__plot_x(p, x);
    fprintf(p->out, "<line class=\"%s\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n", cls, X, X,
            gn__plot_y(p, y - e), gn__plot_y(p, y + e));
}

void gn__plot_legend(gn__plot *p, size_t i, const char *cls, const char *text) {
    double y = p->top + 12 + 14 * (double)i, x = p->left + p->w - 110;
    fprintf(p->out, "<line class=\"%s\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/><text class=\"leg\" x=\"%.1f\" y=\"%.1f\">",
            cls, x, x + 16, y - 4, y - 4, x + 20, y);
    gn__html_text(p->out, text);
    fprintf(p->out, "</text>\n");
}
