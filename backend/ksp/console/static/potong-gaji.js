// Potong gaji: sends the chosen file as the request body (the server reads no multipart),
// with the page's CSRF token and form key; a resent upload answers the same import.
(() => {
  const form = document.getElementById("payroll-form");
  if (!form) return;
  const status = document.getElementById("upload-status");
  const button = document.getElementById("upload");
  const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

  function show(field, message, messageEn) {
    for (const el of form.querySelectorAll("p.err")) { el.hidden = true; el.textContent = ""; }
    const el = document.getElementById(`err-${field}`) || document.getElementById("err-_form");
    el.textContent = message;
    if (messageEn) {
      const en = document.createElement("small");
      en.className = "en";
      en.textContent = messageEn;
      el.append(document.createElement("br"), en);
    }
    el.hidden = false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = form.berkas.files[0];
    if (!file) {
      show("berkas", "Pilih berkas CSV atau XLSX.", "Choose a CSV or XLSX file.");
      return;
    }
    const query = new URLSearchParams({ period: form.period.value, nama_berkas: file.name.slice(0, 200) });
    if (form.tanggal.value) query.set("tanggal", form.tanggal.value);
    if (form.alasan.value.trim()) query.set("alasan", form.alasan.value.trim());
    const type = file.name.toLowerCase().endsWith(".xlsx") ? XLSX : "text/csv";
    button.disabled = true;
    status.textContent = "Mengunggah dan memeriksa… / Uploading and checking…";
    try {
      const reply = await fetch(`/staff/potong-gaji/unggah?${query}`, {
        method: "POST",
        body: await file.arrayBuffer(),
        credentials: "same-origin",
        headers: { "Content-Type": type, "X-CSRF-Token": form.dataset.csrf, "Idempotency-Key": form.dataset.key },
      });
      const body = await reply.json().catch(() => ({}));
      if (reply.ok && body.href) {
        window.location.assign(body.href);
        return;
      }
      show(body.field || "_form", body.message || `Gagal (${reply.status}).`, body.message_en || `Failed (${reply.status}).`);
    } catch (error) {
      show("_form", "Koneksi ke server gagal; coba lagi.", "The connection to the server failed; try again.");
    } finally {
      button.disabled = false;
      status.textContent = "";
    }
  });
})();
