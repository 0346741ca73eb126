# writes a small CSV with a header, numeric and categorical columns (fixed seed) for the
# model-file compatibility fixtures
import random
r = random.Random(7)
print("y,age,city,score,flag")
for i in range(150):
    age = r.randint(18, 80); city = r.choice(["paris", "lyon", "nice", "brest"]); score = round(r.uniform(-3, 3), 3)
    flag = r.choice(["a", "b"])
    z = 0.05 * (age - 45) + (1 if city == "paris" else -0.5) + score + r.gauss(0, 1)
    print(f"{1 if z > 0 else 0},{age},{city},{score},{flag}")
