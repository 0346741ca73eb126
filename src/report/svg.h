/* report/svg.h: small inline-SVG plots for the HTML report: a plot frame with linear or log axes
 * and ticks, polylines, points, bars and error bars, all written to a stdio stream. Numbers are
 * printed in the C locale's "%g" style; text is HTML-escaped. */
#ifndef GN_REPORT_SVG_H
#define GN_REPORT_SVG_H

#include <stddef.h>
#include <stdio.h>

typedef struct gn__plot {
    FILE *out;
    double x0, x1, y0, y1; /* data ranges */
    int xlog;              /* 1: the x axis is log10 */
    double w, h;           /* pixel size of the drawing area */
    double left, top;      /* margins */
} gn__plot;

/* Writes text HTML-escaped. */
void gn__html_text(FILE *out, const char *s);
/* Opens <svg id=ID class="plot" ...> with a title, axes, ticks and labels. extra_attrs: more
 * attributes of the svg element (may be ""). */
void gn__plot_begin(gn__plot *p, FILE *out, const char *id, const char *title, const char *xlabel, const char *ylabel,
                    double x0, double x1, double y0, double y1, int xlog, const char *extra_attrs);
void gn__plot_end(gn__plot *p);
double gn__plot_x(const gn__plot *p, double x);
double gn__plot_y(const gn__plot *p, double y);
/* A polyline through n points (xs[i], ys[i]); cls names its CSS class (series). */
void gn__plot_line(gn__plot *p, const double *xs, const double *ys, size_t n, const char *cls);
void gn__plot_point(gn__plot *p, double x, double y, const char *cls);
/* A vertical bar from y=0 to y over [xa, xb]. */
void gn__plot_bar(gn__plot *p, double xa, double xb, double y, const char *cls);
/* An error bar at x from y-e to y+e. */
void gn__plot_errbar(gn__plot *p, double x, double y, double e, const char *cls);
/* A legend entry at row i. */
void gn__plot_legend(gn__plot *p, size_t i, const char *cls, const char *text);

#endif
