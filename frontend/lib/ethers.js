// ethers v6 arrives through a classic <script> as window.ethers. Everything asks for it here,
// so loading it only when signing is needed later changes this one file.
export function ethers() {
  return window.ethers || null;
}
