"""Steps of the helm and manifest add-ons of ``spec.addons[]``, and the helm release helper
they share with the CNI."""
