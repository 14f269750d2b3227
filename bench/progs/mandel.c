/* mandel.c - Mandelbrot set: escape-time iteration counts over a grid, in
 * double precision. */
#include "bench.h"

#define W 600
#define H 400
#define MAXIT 300

static uint16_t img[H][W];

int main(void)
{
    double t0 = bench_now_ms();
    uint64_t total = 0;
    for (int y = 0; y < H; y++) {
        double ci = -1.2 + 2.4 * y / H;
        for (int x = 0; x < W; x++) {
            double cr = -2.1 + 3.0 * x / W;
            double zr = 0, zi = 0, zr2 = 0, zi2 = 0;
            int it = 0;
            while (it < MAXIT && zr2 + zi2 <= 4.0) {
                zi = 2.0 * zr * zi + ci;
                zr = zr2 - zi2 + cr;
                zr2 = zr * zr;
                zi2 = zi * zi;
                it++;
            }
            img[y][x] = (uint16_t)it;
            total += (uint64_t)it;
        }
    }
    double t1 = bench_now_ms();

    uint64_t h = bench_mix(BENCH_SEED, total);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x += 7)
            h = bench_mix(h, img[y][x]);
    bench_report(h, t1 - t0);
    return 0;
}
