// Small forward calls for compute-sanitizer (memcheck, racecheck): a radial mask with text tokens, a
// sequence tail and a kv_valid_len, bf16, head dims 128 and 64, in one pass and in the two passes of the
// forward schedule. No PyTorch, so the sanitizer sees only
// this library's kernels. Exits 1 if a call reports an error; the sanitizer's own summary says the rest.
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

extern "C" {
const char* radial_shim_last_error();
int radial_shim_radial_csr(int64_t, int64_t, int64_t, double, int, int32_t*, int32_t*, int64_t*, int64_t*);
int radial_shim_radial_schedule(int64_t, int64_t, int64_t, double, int, int64_t, int64_t, int32_t*, int64_t*);
int radial_shim_forward(void*, void*, void*, void*, float*, int, int, const int64_t*, const int64_t*, const int64_t*,
                        const int32_t*, const int32_t*, int32_t, const int32_t*, float, const int32_t*, void*);
}

int main() {
  // 9 blocks x 12 heads x 2 batches = 216 CTAs: more than an H100 has SMs, so a second wave runs.
  const int64_t frames = 5, tpf = 200, text = 45, b = 2, h = 12;
  int64_t nb = 0, nnz = 0;
  if (radial_shim_radial_csr(frames, tpf, text, 0.5, 1, nullptr, nullptr, &nb, &nnz)) return 1;
  std::vector<int32_t> rows(nb + 1), cols(nnz);
  if (radial_shim_radial_csr(frames, tpf, text, 0.5, 1, rows.data(), cols.data(), &nb, &nnz)) return 1;
  const int64_t near_frames = 1;  // the near pass reaching one frame leaves far blocks at 5 frames
  int64_t plan_size = 0;
  if (radial_shim_radial_schedule(frames, tpf, text, 0.5, 1, near_frames, -1, nullptr, &plan_size)) return 1;
  std::vector<int32_t> plan(plan_size);
  setenv("RADIAL_CUDA_FORWARD_SCHEDULE", "always", 1);  // two passes even at this small size
  if (radial_shim_radial_schedule(frames, tpf, text, 0.5, 1, near_frames, -1, plan.data(), &plan_size)) return 1;
  const int64_t s = frames * tpf + text;
  std::mt19937 rng(1234);
  std::normal_distribution<float> normal(0.0f, 1.5f);
  for (int d : {128, 64}) {
    const int64_t n = b * s * h * d;
    std::vector<uint16_t> host(n);
    for (auto& x : host) {
      const float f = normal(rng);
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      x = static_cast<uint16_t>(bits >> 16);
    }
    void *q, *k, *v, *o;
    float* lse;
    int32_t *drows, *dcols, *kv, *dplan;
    cudaMalloc(&q, n * 2), cudaMalloc(&k, n * 2), cudaMalloc(&v, n * 2), cudaMalloc(&o, n * 2);
    cudaMalloc(&lse, b * h * s * 4);
    cudaMalloc(&drows, rows.size() * 4), cudaMalloc(&dcols, cols.size() * 4), cudaMalloc(&kv, b * 4);
    cudaMalloc(&dplan, plan.size() * 4);
    cudaMemcpy(dplan, plan.data(), plan.size() * 4, cudaMemcpyHostToDevice);
    for (void* t : {q, k, v}) cudaMemcpy(t, host.data(), n * 2, cudaMemcpyHostToDevice);
    cudaMemcpy(drows, rows.data(), rows.size() * 4, cudaMemcpyHostToDevice);
    cudaMemcpy(dcols, cols.data(), cols.size() * 4, cudaMemcpyHostToDevice);
    const int32_t kv_host[2] = {static_cast<int32_t>(s), static_cast<int32_t>(s - 30)};
    cudaMemcpy(kv, kv_host, sizeof kv_host, cudaMemcpyHostToDevice);
    const int64_t shape[4] = {b, s, h, d};
    const int64_t st[4] = {s * h * d, h * d, d, 1};
    const int64_t strides[16] = {st[0], st[1], st[2], st[3], st[0], st[1], st[2], st[3],
                                 st[0], st[1], st[2], st[3], st[0], st[1], st[2], st[3]};
    const int64_t lse_strides[3] = {h * s, s, 1};
    for (const int32_t* schedule : {static_cast<const int32_t*>(nullptr), static_cast<const int32_t*>(dplan)}) {
      if (radial_shim_forward(q, k, v, o, lse, 0, 0, shape, strides, lse_strides, drows, dcols, static_cast<int32_t>(nb),
                              kv, 0.088f, schedule, nullptr)) {
        std::printf("forward failed: %s\n", radial_shim_last_error());
        return 1;
      }
    }
    if (cudaDeviceSynchronize() != cudaSuccess) return 1;
    std::printf("d=%d S=%lld blocks=%lld nnz=%lld: ok\n", d, static_cast<long long>(s), static_cast<long long>(nb),
                static_cast<long long>(nnz));
    for (void* t : {q, k, v, o}) cudaFree(t);
    cudaFree(lse), cudaFree(drows), cudaFree(dcols), cudaFree(kv), cudaFree(dplan);
  }
  return 0;
}
