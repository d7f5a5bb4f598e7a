// ethers v6 (162 KB of the page's 195 KB gzipped) is loaded only when it is needed: to
// create, open or use a wallet, or to read the chain. First paint and the sign-in screen
// never wait for it. It arrives through a classic <script> as window.ethers.
const SRC = '/vendor/ethers.umd.min.js';
let loading = null;

// ethers if already loaded, else null (for code that can do without it).
export function ethers() {
  return window.ethers || null;
}

// Resolves to ethers, loading it once; rejects with {key: 'errNoEthers'} if it cannot.
export function loadEthers() {
  if (window.ethers) return Promise.resolve(window.ethers);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = SRC;
      script.onload = () => (window.ethers ? resolve(window.ethers) : reject({ key: 'errNoEthers' }));
      script.onerror = () => { loading = null; script.remove(); reject({ key: 'errNoEthers' }); };
      document.head.append(script);
    });
  }
  return loading;
}
