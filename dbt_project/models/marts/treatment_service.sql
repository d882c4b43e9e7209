{{ treatment_list('service') }}
