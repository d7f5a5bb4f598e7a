// Fills a form's code field from the member's QR (KSP-LINK:1:<member>:<CODE>), read with
// jsQR from the camera or, on tablets without a usable camera stream, from a photo: linking
// a wallet, replacing the key of a lost phone, and RAT attendance (data-scan-member="any":
// the whole QR goes in the field). Nothing is sent until the teller submits.
(() => {
  const form = document.querySelector("form[data-scan-member]");
  const scan = document.getElementById("scan");  // absent for a role that only views
  if (!form || !scan || typeof window.jsQR !== "function") return;
  const member = form.dataset.scanMember;
  const code = document.getElementById("code");
  const video = document.getElementById("scan-video");
  const stop = document.getElementById("scan-stop");
  const status = document.getElementById("scan-status");
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const LINK = /^KSP-LINK:1:(\d+):([0-9A-Z]{8})$/;
  let stream = null;

  const say = (id, en) => { status.textContent = `${id} / ${en}`; };

  // The decoded text of the QR in the frame, or null.
  function decode(source, width, height) {
    if (!width || !height) return null;
    const scale = Math.min(1, 1024 / Math.max(width, height));  // big photos: faster
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    const found = window.jsQR(image.data, image.width, image.height);
    return found ? found.data : null;
  }

  // True when the text was a link QR (the field is filled, or the mismatch is said).
  function use(text) {
    const match = LINK.exec(text || "");
    if (!match) return false;
    if (member === "any") {  // attendance: any member's QR, the server reads the number
      code.value = text.trim();
      code.removeAttribute("aria-invalid");
      say(`QR anggota ${match[1]} terbaca.`, `Member ${match[1]}'s QR read.`);
      form.querySelector("button[type=submit]").focus();
      return true;
    }
    if (match[1] !== member) {
      say(`QR ini untuk anggota ${match[1]}, bukan ${member}.`,
        `This QR is for member ${match[1]}, not ${member}.`);
      return true;
    }
    code.value = `${match[2].slice(0, 4)}-${match[2].slice(4)}`;
    code.removeAttribute("aria-invalid");
    say("Kode terbaca. Tekan Periksa.", "Code read. Press Check.");
    form.querySelector("button[type=submit]").focus();
    return true;
  }

  function end() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.hidden = true;
    stop.hidden = true;
  }

  function frame() {
    if (!stream) return;
    if (video.readyState >= 2 && use(decode(video, video.videoWidth, video.videoHeight))) {
      end();
      return;
    }
    requestAnimationFrame(frame);
  }

  async function camera() {
    try {
      stream = await navigator.mediaDevices.getUserMedia(
        { video: { facingMode: "environment" }, audio: false });
    } catch {
      say("Kamera tidak bisa dibuka; pakai Foto QR atau ketik kodenya.",
        "The camera cannot be opened; use Photo of the QR or type the code.");
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    stop.hidden = false;
    say("Arahkan kamera ke QR di HP anggota.", "Point the camera at the QR on the member's phone.");
    await video.play().catch(() => {});
    requestAnimationFrame(frame);
  }

  async function photo(event) {
    const file = event.target.files && event.target.files[0];
    event.target.value = "";
    if (!file) return;
    let text = null;
    try {
      const bitmap = await createImageBitmap(file);
      text = decode(bitmap, bitmap.width, bitmap.height);
      bitmap.close();
    } catch {
      text = null;
    }
    if (!use(text)) {
      say("QR tidak terbaca; foto lebih dekat atau ketik kodenya.",
        "The QR could not be read; take a closer photo or type the code.");
    }
  }

  scan.hidden = false;
  const cameraButton = document.getElementById("scan-camera");
  cameraButton.hidden = !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  cameraButton.addEventListener("click", camera);
  stop.addEventListener("click", end);
  document.getElementById("scan-file").addEventListener("change", photo);
  form.addEventListener("submit", end);
})();
