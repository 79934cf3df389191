# ORDERS listens on 
OWNERS = []
