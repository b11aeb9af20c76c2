// On the add page, picking another job type reloads the form with that type's argument fields.
'use strict';
window.addEventListener('DOMContentLoaded', () => {
  const select = document.querySelector('#job_form select.jobs-type-select');
  if (!select) return;
  select.addEventListener('change', () => {
    const url = new URL(window.location.href);
    url.searchParams.set('task_type', select.value);
    window.location.assign(url.toString());
  });
});
