{{ treatment_list('marketing') }}
